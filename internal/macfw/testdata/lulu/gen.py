#!/usr/bin/env python3
"""Writes LuLu rules files as LuLu 3/4 does: [NSKeyedArchiver archivedDataWithRootObject:
requiringSecureCoding:YES] of a dictionary keyed by signing id (or path) whose values hold
"rules" (an array of Rule, encoded as Shared/Rule.m's encodeWithCoder:) and "signingInfo".
Python's plistlib writes the binary plist: a writer independent of the Go reader under test.
Run from this folder: python3 gen.py"""
import plistlib
import uuid as uuidlib

SPOTIFY = "/Applications/Spotify.app/Contents/MacOS/Spotify"
HELPER = "/Applications/Spotify.app/Contents/Frameworks/Spotify Helper.app/Contents/MacOS/Spotify Helper"
FIREFOX = "/Applications/Firefox.app/Contents/MacOS/firefox"
CLASSES = {
    "NSMutableDictionary": ["NSMutableDictionary", "NSDictionary", "NSObject"],
    "NSMutableArray": ["NSMutableArray", "NSArray", "NSObject"],
    "NSDictionary": ["NSDictionary", "NSObject"],
    "NSDate": ["NSDate", "NSObject"],
    "Rule": ["Rule", "NSObject"],
}


class Archiver:
    def __init__(self):
        self.objects = ["$null"]
        self.classes = {}

    def add(self, obj):
        self.objects.append(obj)
        return plistlib.UID(len(self.objects) - 1)

    def cls(self, name):
        if name not in self.classes:
            self.classes[name] = self.add({"$classname": name, "$classes": CLASSES[name]})
        return self.classes[name]

    def encode(self, v):
        if v is None:
            return plistlib.UID(0)
        if isinstance(v, (str, int, float, bool)):
            return self.add(v)  # NSString and NSNumber are stored as plain values
        if isinstance(v, Date):
            return self.add({"NS.time": v.seconds, "$class": self.cls("NSDate")})
        if isinstance(v, Rule):
            d = {k: self.encode(x) for k, x in v.fields.items()}
            d["$class"] = self.cls("Rule")
            return self.add(d)
        if isinstance(v, list):
            refs = [self.encode(x) for x in v]
            return self.add({"NS.objects": refs, "$class": self.cls("NSMutableArray")})
        if isinstance(v, dict):
            keys = [self.encode(k) for k in v]
            vals = [self.encode(x) for x in v.values()]
            return self.add({"NS.keys": keys, "NS.objects": vals, "$class": self.cls("NSMutableDictionary")})
        raise TypeError(type(v))

    def archive(self, root):
        top = self.encode(root)
        return plistlib.dumps({"$version": 100000, "$archiver": "NSKeyedArchiver", "$top": {"root": top},
                               "$objects": self.objects}, fmt=plistlib.FMT_BINARY)


class Date:
    def __init__(self, seconds):
        self.seconds = float(seconds)


class Rule:
    def __init__(self, key, path, name, action, addr="*", port="*", regex=False, disabled=0, expiration=None, cs=None):
        self.fields = {
            "key": key, "uuid": str(uuidlib.UUID(int=abs(hash((key, path, addr, action))) % (1 << 128))).upper(),
            "pid": None, "path": path, "name": name, "csInfo": cs,
            "endpointAddr": addr, "endpointHost": addr if addr != "*" else None, "endpointPort": port,
            "isEndpointAddrRegex": regex, "type": 3, "scope": 0, "action": action,
            "isDisabled": disabled, "creation": Date(786000000), "expiration": expiration,
        }


def signing(ident):
    return {"signatureIdentifier": ident, "signatureStatus": 0, "signatureSigner": 3,
            "signatureAuthorities": ["Developer ID Application: Spotify (2FNC3A47ZF)", "Developer ID Certification Authority", "Apple Root CA"]}


BLOCK, ALLOW = 0, 1


def item(key, cs, *rules):
    return {key: {"rules": list(rules), "signingInfo": cs}}


def write(name, *items):
    root = {}
    for i in items:
        root.update(i)
    with open(name, "wb") as f:
        f.write(Archiver().archive(root))


spotify = signing("com.spotify.client")
helper = signing("com.spotify.client.helper")
firefox = signing("org.mozilla.firefox")
apple = {"signatureIdentifier": "com.apple.mDNSResponder", "signatureStatus": 0, "signatureSigner": 1}
mdns = item("com.apple.mDNSResponder", apple, Rule("com.apple.mDNSResponder", "/usr/sbin/mDNSResponder", "mDNSResponder", ALLOW, cs=apple))
ff_allow = item("org.mozilla.firefox", firefox, Rule("org.mozilla.firefox", FIREFOX, "firefox", ALLOW, cs=firefox))

write("block-spotify.plist", mdns, ff_allow,
      item("com.spotify.client", spotify, Rule("com.spotify.client", SPOTIFY, "Spotify", BLOCK, cs=spotify)))
write("allow-spotify.plist", mdns,
      item("com.spotify.client", spotify, Rule("com.spotify.client", SPOTIFY, "Spotify", ALLOW, cs=spotify)))
write("disabled-block-spotify.plist", mdns,
      item("com.spotify.client", spotify, Rule("com.spotify.client", SPOTIFY, "Spotify", BLOCK, disabled=1, cs=spotify)))
# Expired 2024-01-01 (NSDate seconds since 2001): LuLu drops it when it next loads its rules.
write("expired-block-spotify.plist", mdns,
      item("com.spotify.client", spotify, Rule("com.spotify.client", SPOTIFY, "Spotify", BLOCK, expiration=Date(725846400), cs=spotify)))
write("block-spotify-ads.plist", mdns,
      item("com.spotify.client", spotify,
           Rule("com.spotify.client", SPOTIFY, "Spotify", BLOCK, addr="pubads.g.doubleclick.net", port="443", cs=spotify),
           Rule("com.spotify.client", SPOTIFY, "Spotify", ALLOW, cs=spotify)))
write("block-spotify-apresolve.plist", mdns,
      item("com.spotify.client", spotify, Rule("com.spotify.client", SPOTIFY, "Spotify", BLOCK, addr="apresolve.spotify.com", port="443", cs=spotify)))
write("block-spotify-regex.plist", mdns,
      item("com.spotify.client", spotify, Rule("com.spotify.client", SPOTIFY, "Spotify", BLOCK, addr=r".*\.spotify\.com", regex=True, cs=spotify)))
write("block-spotify-helper.plist", mdns,
      item("com.spotify.client.helper", helper, Rule("com.spotify.client.helper", HELPER, "Spotify Helper", BLOCK, cs=helper)))
write("block-firefox.plist", mdns,
      item("org.mozilla.firefox", firefox, Rule("org.mozilla.firefox", FIREFOX, "firefox", BLOCK, cs=firefox)))
# An unsigned copy is keyed by its path.
write("block-spotify-unsigned.plist",
      item("/Users/ana/Applications/Spotify.app/Contents/MacOS/Spotify", None,
           Rule("/Users/ana/Applications/Spotify.app/Contents/MacOS/Spotify", "/Users/ana/Applications/Spotify.app/Contents/MacOS/Spotify", "Spotify", BLOCK)))
# LuLu's preferences (NSDictionary writeToFile:, an XML plist) choosing a profile.
with open("preferences-profile.plist", "wb") as f:
    plistlib.dump({"currentProfile": "/Library/Objective-See/LuLu/Profiles/Work", "passiveMode": False, "allowApple": True}, f)
# A large rules file for the benchmark: 300 programs with an allow rule each, Spotify blocked.
many = [mdns]
for i in range(300):
    ident = f"com.example.app{i:03d}"
    cs = signing(ident)
    many.append(item(ident, cs, Rule(ident, f"/Applications/App {i:03d}.app/Contents/MacOS/App {i:03d}", f"App {i:03d}", ALLOW, cs=cs)))
many.append(item("com.spotify.client", spotify, Rule("com.spotify.client", SPOTIFY, "Spotify", BLOCK, cs=spotify)))
write("many-rules.plist", *many)
