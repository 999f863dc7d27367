package svc

import (
	"errors"
	"fmt"

	"golang.org/x/sys/windows/registry"
)

// hkcuRun is HKEY_CURRENT_USER\Software\Microsoft\Windows\CurrentVersion\Run.
type hkcuRun struct{}

func (hkcuRun) open(access uint32) (registry.Key, error) {
	k, _, err := registry.CreateKey(registry.CURRENT_USER, runKeyPath, access)
	if err != nil {
		return 0, fmt.Errorf(`opening HKCU\%s: %w`, runKeyPath, err)
	}
	return k, nil
}

func (r hkcuRun) get(name string) (string, bool, error) {
	k, err := r.open(registry.QUERY_VALUE)
	if err != nil {
		return "", false, err
	}
	defer k.Close()
	v, _, err := k.GetStringValue(name)
	if errors.Is(err, registry.ErrNotExist) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf(`reading HKCU\%s\%s: %w`, runKeyPath, name, err)
	}
	return v, true, nil
}

func (r hkcuRun) set(name, value string) error {
	k, err := r.open(registry.SET_VALUE)
	if err != nil {
		return err
	}
	defer k.Close()
	if err := k.SetStringValue(name, value); err != nil {
		return fmt.Errorf(`writing HKCU\%s\%s: %w`, runKeyPath, name, err)
	}
	return nil
}

func (r hkcuRun) remove(name string) error {
	k, err := r.open(registry.SET_VALUE)
	if err != nil {
		return err
	}
	defer k.Close()
	if err := k.DeleteValue(name); err != nil && !errors.Is(err, registry.ErrNotExist) {
		return fmt.Errorf(`deleting HKCU\%s\%s: %w`, runKeyPath, name, err)
	}
	return nil
}
