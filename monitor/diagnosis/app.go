package diagnosis

// The Spotify app's own context: what the OS and security software say about the app itself,
// as opposed to the network. Security suites and application firewalls block a program, not an
// address: a rule against Spotify stops the app while spotwatch's own probes connect fine. These
// facts are read without traffic and without admin rights where the OS allows it.

// App is what spotwatch learned about the Spotify app on this machine.
type App struct {
	// Rules are the rules found that stop the Spotify app from reaching the network.
	Rules []AppRule `json:"rules,omitempty"`
	// Suites are the security products installed that filter per program (Windows Security
	// Center, macOS LuLu / Little Snitch), named in the fix when Spotify fails.
	Suites []string `json:"suites,omitempty"`
	// Connections is the app's own TCP connections, when it runs.
	Connections *AppConnections `json:"connections,omitempty"`
	// Install is where and how Spotify is installed, and what is wrong with the installation.
	Install *AppInstall `json:"install,omitempty"`
}

// AppRule is one rule that keeps the Spotify app off the network.
type AppRule struct {
	Product string `json:"product"`        // what holds the rule: "Windows Defender Firewall", "OpenSnitch", "Flatpak", "snap", "firejail", "LuLu"…
	Where   string `json:"where"`          // the file or registry key the rule is in
	Name    string `json:"name,omitempty"` // the rule's own name, when it has one
	Action  string `json:"action"`         // what it does: "block", "deny", "reject", "no network"
	Target  string `json:"target"`         // the program or package it names (a Spotify path or id)
}

// AppConnections summarises the TCP connections of the running Spotify app, from the OS's TCP
// table: connections that stall (SYN sent, no answer) or are refused while spotwatch's own probes
// to the same servers work point at a rule against the app.
type AppConnections struct {
	Running     bool     `json:"running"`           // a Spotify process runs
	PIDs        []int    `json:"pids,omitempty"`    // its process ids
	Established int      `json:"established"`       // connections open now
	Stalled     int      `json:"stalled"`           // connections stuck in SYN-SENT
	Remotes     []string `json:"remotes,omitempty"` // the stalled connections' ip:port, at most a few
	Note        string   `json:"note,omitempty"`    // why the table could not be read, if it could not
}

// AppInstall is where and how Spotify is installed.
type AppInstall struct {
	Installed bool     `json:"installed"`
	Kind      string   `json:"kind,omitempty"`     // "desktop", "Microsoft Store", "Flatpak", "snap", "deb"…
	Path      string   `json:"path,omitempty"`     // where the program is
	Version   string   `json:"version,omitempty"`  // when known
	Problems  []string `json:"problems,omitempty"` // what is broken: an unreadable prefs file, a cache folder not writable, a full disk
}
