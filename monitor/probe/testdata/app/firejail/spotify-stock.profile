# Firejail profile for spotify
include spotify.local
include globals.local

noblacklist ${HOME}/.cache/spotify
# net none
protocol unix,inet,inet6,netlink
netfilter
