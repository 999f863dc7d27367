package svc

import (
	"fmt"
	"os"
	"path/filepath"
	"unsafe"

	"golang.org/x/sys/windows"
)

// IsAdmin reports whether this process may change system services: whether it runs elevated.
func IsAdmin() bool { return windows.GetCurrentProcessToken().IsElevated() }

// trustedInstaller is the SID of NT SERVICE\TrustedInstaller.
const trustedInstaller = "S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464"

// fileDeleteChild is FILE_DELETE_CHILD (winnt.h): delete anything in a directory.
const fileDeleteChild windows.ACCESS_MASK = 0x40

// Access rights that let a holder change a file, or replace one in a directory.
const (
	fileWriteMask = windows.FILE_WRITE_DATA | windows.FILE_APPEND_DATA | windows.WRITE_DAC |
		windows.WRITE_OWNER | windows.DELETE | windows.GENERIC_WRITE | windows.GENERIC_ALL
	dirWriteMask = fileDeleteChild | windows.WRITE_DAC | windows.WRITE_OWNER |
		windows.DELETE | windows.GENERIC_ALL
)

// CheckFile returns nil when only administrators (SYSTEM, Administrators, TrustedInstaller) and
// this process's own account can change the file at path, or replace it through its directory:
// its owner and every allow entry of its access list granting write access are checked. The
// system daemon refuses a configuration that fails this check. The error wraps ErrUnsafeFile.
func CheckFile(path string) error {
	abs, err := filepath.Abs(path)
	if err != nil {
		return fmt.Errorf("checking who may change %s: %w", path, err)
	}
	if err := checkACL(path, abs, fileWriteMask); err != nil {
		return err
	}
	return checkACL(path, filepath.Dir(abs), dirWriteMask)
}

func checkACL(name, path string, mask windows.ACCESS_MASK) error {
	sd, err := windows.GetNamedSecurityInfo(path, windows.SE_FILE_OBJECT, windows.OWNER_SECURITY_INFORMATION|windows.DACL_SECURITY_INFORMATION)
	if err != nil {
		return fmt.Errorf("checking who may change %s: reading the access list of %s: %w", name, path, err)
	}
	fix := fmt.Sprintf(`icacls "%s" /reset, from an administrator terminal, or move it to %%ProgramData%%\spotwatch`, path)
	owner, _, err := sd.Owner()
	if err != nil {
		return fmt.Errorf("checking who may change %s: %w", name, err)
	}
	if owner != nil && !trustedSID(owner) {
		return unsafeFile(name, path, "it belongs to "+accountName(owner), fix)
	}
	dacl, _, err := sd.DACL()
	if err != nil {
		return fmt.Errorf("checking who may change %s: %w", name, err)
	}
	if dacl == nil {
		return unsafeFile(name, path, "it has no access list, so everyone may change it", fix)
	}
	for i := range uint32(dacl.AceCount) {
		var ace *windows.ACCESS_ALLOWED_ACE
		if err := windows.GetAce(dacl, i, &ace); err != nil {
			return fmt.Errorf("checking who may change %s: %w", name, err)
		}
		if ace.Header.AceType != windows.ACCESS_ALLOWED_ACE_TYPE || ace.Header.AceFlags&windows.INHERIT_ONLY_ACE != 0 || ace.Mask&mask == 0 {
			continue
		}
		sid := (*windows.SID)(unsafe.Pointer(&ace.SidStart))
		if !trustedSID(sid) {
			return unsafeFile(name, path, accountName(sid)+" may change it", fix)
		}
	}
	return nil
}

// trustedSID reports whether sid is an administrator's or this process's own account.
func trustedSID(sid *windows.SID) bool {
	for _, t := range []windows.WELL_KNOWN_SID_TYPE{windows.WinLocalSystemSid, windows.WinBuiltinAdministratorsSid} {
		if sid.IsWellKnown(t) {
			return true
		}
	}
	if sid.String() == trustedInstaller {
		return true
	}
	if u, err := windows.GetCurrentProcessToken().GetTokenUser(); err == nil && u.User.Sid.Equals(sid) {
		return true
	}
	return false
}

func accountName(sid *windows.SID) string {
	account, domain, _, err := sid.LookupAccount("")
	if err != nil {
		return sid.String()
	}
	if domain != "" {
		return domain + `\` + account
	}
	return account
}

// prepareDataDir gives %ProgramData%\spotwatch (the configuration, history and socket of the
// system daemon) an access list of its own: administrators and SYSTEM have full control, the
// service's LocalService account may modify, and users may read. Users may not create files
// there, so no one but an administrator can plant a configuration.
func prepareDataDir(p Plan) error {
	dir := filepath.Dir(systemConfig("windows", os.Getenv))
	if filepath.Dir(p.Config) != dir {
		return nil // a configuration elsewhere keeps its own access list
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", dir, err)
	}
	entry := func(t windows.WELL_KNOWN_SID_TYPE, rights windows.ACCESS_MASK) (windows.EXPLICIT_ACCESS, error) {
		sid, err := windows.CreateWellKnownSid(t)
		if err != nil {
			return windows.EXPLICIT_ACCESS{}, err
		}
		return windows.EXPLICIT_ACCESS{
			AccessPermissions: rights,
			AccessMode:        windows.GRANT_ACCESS,
			Inheritance:       windows.SUB_CONTAINERS_AND_OBJECTS_INHERIT,
			Trustee: windows.TRUSTEE{
				TrusteeForm:  windows.TRUSTEE_IS_SID,
				TrusteeType:  windows.TRUSTEE_IS_WELL_KNOWN_GROUP,
				TrusteeValue: windows.TrusteeValueFromSID(sid),
			},
		}, nil
	}
	const (
		full   = windows.GENERIC_ALL
		modify = windows.GENERIC_READ | windows.GENERIC_WRITE | windows.GENERIC_EXECUTE | windows.DELETE
		read   = windows.GENERIC_READ | windows.GENERIC_EXECUTE
	)
	var entries []windows.EXPLICIT_ACCESS
	for _, e := range []struct {
		sid    windows.WELL_KNOWN_SID_TYPE
		rights windows.ACCESS_MASK
	}{
		{windows.WinLocalSystemSid, full},
		{windows.WinBuiltinAdministratorsSid, full},
		{windows.WinLocalServiceSid, modify},
		{windows.WinBuiltinUsersSid, read},
	} {
		ea, err := entry(e.sid, e.rights)
		if err != nil {
			return fmt.Errorf("building the access list of %s: %w", dir, err)
		}
		entries = append(entries, ea)
	}
	acl, err := windows.ACLFromEntries(entries, nil)
	if err != nil {
		return fmt.Errorf("building the access list of %s: %w", dir, err)
	}
	err = windows.SetNamedSecurityInfo(dir, windows.SE_FILE_OBJECT,
		windows.DACL_SECURITY_INFORMATION|windows.PROTECTED_DACL_SECURITY_INFORMATION, nil, nil, acl, nil)
	if err != nil {
		return fmt.Errorf("setting the access list of %s: %w", dir, err)
	}
	return nil
}
