package testnet

import (
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strings"
)

// Block page kinds for BlockPageFor and BlockPageHandler. Each page carries the strings that
// public block-page fingerprints (ooni/blocking-fingerprints) match:
//
//	fortiguard  403; title "FortiGuard Web Filter Block Override", h1 "Web Page Blocked", text
//	            "You have tried to access a web page which is in violation of your internet
//	            usage policy.", "Powered By FortiGuard Web Filtering", a link to
//	            https://www.fortiguard.com/webfilter?q=…
//	opendns     302 to Location "https://block.opendns.com/?url=…"; the body says "This site is
//	            blocked due to content filtering." and links the same URL
//	pihole      200; header "X-Pi-hole: A black hole for Internet advertisements."; body starts
//	            with the comment "<!-- Pi-hole: A black hole for Internet advertisements", has
//	            <body id="blockpage"> and "Website Blocked"
//	nextdns     403; header "Blocked-By: NextDNS"; title "Blocked by NextDNS"
//	paloalto    503; title "Web Page Blocked", <body bgcolor="#e7e8e9"><div id="content"><h1>Web Page
//	            Blocked</h1>, "Access to the web page you were trying to visit has been blocked in
//	            accordance with company policy.", a form posting to /php/urlblock.php?args=…
//	zscaler     403; title "Internet Security by Zscaler", text "Website blocked"
const (
	BlockFortiGuard = "fortiguard"
	BlockOpenDNS    = "opendns"
	BlockPiHole     = "pihole"
	BlockNextDNS    = "nextdns"
	BlockPaloAlto   = "paloalto"
	BlockZscaler    = "zscaler"
)

// BlockPageKinds returns every kind BlockPageFor knows.
func BlockPageKinds() []string {
	return []string{BlockFortiGuard, BlockOpenDNS, BlockPiHole, BlockNextDNS, BlockPaloAlto, BlockZscaler}
}

// BlockPageFor returns the response a filter of kind sends in place of blockedURL (host and
// path, such as "apresolve.spotify.com/"): status, header (Content-Type included) and body.
// Feed it to StartPlainHTTP to put a block page on a TLS port.
func BlockPageFor(kind, blockedURL string) (status int, header http.Header, body string, err error) {
	u := html.EscapeString(blockedURL)
	q := url.QueryEscape(blockedURL)
	header = http.Header{"Content-Type": {"text/html; charset=utf-8"}}
	switch kind {
	case BlockFortiGuard:
		return http.StatusForbidden, header, fmt.Sprintf(fortiguardPage, u, q), nil
	case BlockOpenDNS:
		loc := "https://block.opendns.com/?url=" + q + "&server=ash1&prefs=&tagging=&nref"
		header.Set("Location", loc)
		return http.StatusFound, header, fmt.Sprintf(opendnsPage, html.EscapeString(loc)), nil
	case BlockPiHole:
		header.Set("X-Pi-hole", "A black hole for Internet advertisements.")
		return http.StatusOK, header, fmt.Sprintf(piholePage, u, u), nil
	case BlockNextDNS:
		header.Set("Blocked-By", "NextDNS")
		return http.StatusForbidden, header, fmt.Sprintf(nextdnsPage, u), nil
	case BlockPaloAlto:
		return http.StatusServiceUnavailable, header, fmt.Sprintf(paloaltoPage, u, q), nil
	case BlockZscaler:
		return http.StatusForbidden, header, fmt.Sprintf(zscalerPage, u), nil
	}
	return 0, nil, "", fmt.Errorf("unknown block page kind %q (known: %s)", kind, strings.Join(BlockPageKinds(), ", "))
}

// BlockPageHandler answers every request with the block page of kind (see BlockPageFor) for
// the requested host and path. It panics on an unknown kind, a programming error.
func BlockPageHandler(kind string) http.Handler {
	if _, _, _, err := BlockPageFor(kind, ""); err != nil {
		panic("testnet.BlockPageHandler: " + err.Error())
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		status, header, body, _ := BlockPageFor(kind, r.Host+r.URL.RequestURI())
		for k, v := range header {
			w.Header()[k] = v
		}
		writeBody(w, status, header.Get("Content-Type"), body)
	})
}

const fortiguardPage = `<!DOCTYPE html>
<html lang="en"><head><meta charset="UTF-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>FortiGuard Web Filter Block Override</title>
<style>body{font-family:Helvetica,Arial,sans-serif;background:#f2f2f2}.box{margin:40px auto;max-width:640px;background:#fff;padding:24px}</style>
</head><body><div class="box">
<h1>Web Page Blocked</h1>
<p>You have tried to access a web page which is in violation of your internet usage policy.</p>
<p><b>URL:</b> %s</p>
<p><b>Category:</b> Streaming Media and Download</p>
<p>To have the rating of this web page re-evaluated <a href="https://www.fortiguard.com/webfilter?q=%s">please click here</a>.</p>
<p class="footer">Powered By FortiGuard Web Filtering</p>
</div></body></html>
`

const opendnsPage = `<html><head><title>Blocked</title></head><body>
<p>This site is blocked due to content filtering.</p>
<p><a href="%s">block.opendns.com</a></p>
</body></html>
`

const piholePage = `<!DOCTYPE html>
<!-- Pi-hole: A black hole for Internet advertisements
*  (c) 2017 Pi-hole, LLC (https://pi-hole.net)
*  Network-wide ad blocking via your own hardware. -->
<html><head><meta charset="utf-8"><title>&#x25CF; %s</title></head>
<body id="blockpage"><div id="bpWrapper">
<header><h1 id="bpTitle">Website Blocked</h1></header>
<main><p>Access to the following website has been denied:</p><pre>%s</pre>
<p>This is primarily due to being flagged as:</p><pre>Blacklisted</pre></main>
<footer>Generated by Pi-hole</footer>
</div></body></html>
`

const nextdnsPage = `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Blocked by NextDNS</title></head>
<body><h1>This website has been blocked by NextDNS.</h1><p>%s</p></body></html>
`

const paloaltoPage = `<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">
<title>Web Page Blocked</title>
<style>#content{border:3px solid#aaa;background-color:#fff;margin:40;padding:40;font-family:Tahoma,Helvetica,Arial,sans-serif;font-size:12px}</style>
</head>
<body bgcolor="#e7e8e9"><div id="content"><h1>Web Page Blocked</h1>
<p>Access to the web page you were trying to visit has been blocked in accordance with company policy. Please contact your system administrator if you believe this is in error.</p>
<p><b>URL:</b> %s </p>
<p><b>Category:</b> streaming-media </p>
<form action="/php/urlblock.php?args=%s" method="post"><input type="submit" value="Continue"></form>
</div></body></html>
`

const zscalerPage = `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Internet Security by Zscaler</title></head>
<body><h1>Website blocked</h1>
<p>Not allowed to browse Streaming Media category</p>
<p>You tried to visit: %s</p>
<p>Sorry, you don't have permission to visit this site.</p>
</body></html>
`
