package netwatch

import (
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// TestRouteMessageLayout checks the values and offsets routemsg.go copies from the system
// headers against x/sys/unix.
func TestRouteMessageLayout(t *testing.T) {
	tests := []struct {
		name      string
		got, want uintptr
	}{
		{"RTM_VERSION", rtmVersion, unix.RTM_VERSION},
		{"RTM_ADD", rtmAdd, unix.RTM_ADD},
		{"RTM_DELETE", rtmDelete, unix.RTM_DELETE},
		{"RTM_CHANGE", rtmChange, unix.RTM_CHANGE},
		{"RTM_NEWADDR", rtmNewAddr, unix.RTM_NEWADDR},
		{"RTM_DELADDR", rtmDelAddr, unix.RTM_DELADDR},
		{"RTM_IFINFO", rtmIfInfo, unix.RTM_IFINFO},
		{"RTF_LLINFO", rtfLLInfo, unix.RTF_LLINFO},
		{"RTF_WASCLONED", rtfWasCloned, unix.RTF_WASCLONED},
		{"IFF_UP", iffUp, unix.IFF_UP},
		{"IFF_RUNNING", iffRunning, unix.IFF_RUNNING},
		{"rt_msghdr.rtm_flags", 8, unsafe.Offsetof(unix.RtMsghdr{}.Flags)},
		{"if_msghdr.ifm_flags", 8, unsafe.Offsetof(unix.IfMsghdr{}.Flags)},
		{"if_msghdr.ifm_index", 12, unsafe.Offsetof(unix.IfMsghdr{}.Index)},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s = %#x, want %#x", tt.name, tt.got, tt.want)
		}
	}
}
