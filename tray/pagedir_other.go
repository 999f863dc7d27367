//go:build !unix

package tray

import "io/fs"

// ownedByMe and privateMode: on Windows the page directory is under %LocalAppData% or the user's %TEMP%, both
// private to the user by their ACLs; file modes do not tell owners.
func ownedByMe(fs.FileInfo) bool { return true }

func privateMode(fs.FileMode) bool { return true }
