package macfw

import (
	"errors"
	"fmt"

	"howett.net/plist"
)

// An NSKeyedArchiver archive is a property list {"$archiver": "NSKeyedArchiver", "$top":
// {"root": UID}, "$objects": [...]}: every object lives once in $objects and refers to others by
// UID, an index into $objects. Index 0 is "$null" (nil). A dictionary is {"NS.keys": [UID…],
// "NS.objects": [UID…]}, an array or set {"NS.objects": [UID…]}, an NSNumber a plain integer,
// real or boolean, a string a plain string (or {"NS.string": …} when mutable), a date
// {"NS.time": seconds since 2001}, and any other object, LuLu's Rule among them, a dictionary
// of its encoded keys with "$class" naming its class.

// maxDepth bounds how deep unarchive follows references: LuLu's rules nest five deep; a loop
// or a hostile file stops here instead of exhausting the stack.
const maxDepth = 32

// errDepth is returned for an archive nested deeper than maxDepth (or holding a loop).
var errDepth = errors.New("objects nested too deep (or in a loop)")

// object is an archived object that is neither a collection nor a plain value: its encoded keys
// resolved, and its class name.
type object struct {
	class  string
	fields map[string]any
}

// unarchive decodes an NSKeyedArchiver archive into Go values: map[string]any for dictionaries
// (keys that are not strings are dropped), []any for arrays and sets, object for other
// classes, nil for $null, and the property list's own values (string, uint64, int64, float64,
// bool) otherwise.
func unarchive(data []byte) (any, error) {
	var top map[string]any
	if _, err := plist.Unmarshal(data, &top); err != nil {
		return nil, fmt.Errorf("not a property list: %w", err)
	}
	if a, _ := top["$archiver"].(string); a != "NSKeyedArchiver" {
		return nil, errors.New("not an NSKeyedArchiver archive")
	}
	objects, ok := top["$objects"].([]any)
	if !ok {
		return nil, errors.New("archive without $objects")
	}
	t, _ := top["$top"].(map[string]any)
	root, ok := t["root"].(plist.UID)
	if !ok {
		return nil, errors.New("archive without a root object")
	}
	return resolve(objects, root, 0)
}

// resolve returns the object at uid, its references resolved.
func resolve(objects []any, uid plist.UID, depth int) (any, error) {
	if depth > maxDepth {
		return nil, errDepth
	}
	if uint64(uid) >= uint64(len(objects)) {
		return nil, fmt.Errorf("reference %d beyond the %d objects", uid, len(objects))
	}
	if uid == 0 {
		return nil, nil // $null
	}
	switch v := objects[uid].(type) {
	case map[string]any:
		return resolveDict(objects, v, depth)
	case plist.UID:
		return resolve(objects, v, depth+1)
	default:
		return v, nil
	}
}

// resolveDict resolves one archived object stored as a dictionary.
func resolveDict(objects []any, d map[string]any, depth int) (any, error) {
	refs := func(key string) ([]plist.UID, bool) {
		list, ok := d[key].([]any)
		if !ok {
			return nil, false
		}
		out := make([]plist.UID, 0, len(list))
		for _, e := range list {
			if u, ok := e.(plist.UID); ok {
				out = append(out, u)
			}
		}
		return out, true
	}
	all := func(uids []plist.UID) ([]any, error) {
		out := make([]any, 0, len(uids))
		for _, u := range uids {
			v, err := resolve(objects, u, depth+1)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	}
	if s, ok := d["NS.string"].(string); ok {
		return s, nil
	}
	if t, ok := d["NS.time"].(float64); ok {
		return date(t), nil
	}
	values, hasObjects := refs("NS.objects")
	keys, hasKeys := refs("NS.keys")
	switch {
	case hasKeys && hasObjects:
		if len(keys) != len(values) {
			return nil, fmt.Errorf("dictionary with %d keys and %d values", len(keys), len(values))
		}
		ks, err := all(keys)
		if err != nil {
			return nil, err
		}
		vs, err := all(values)
		if err != nil {
			return nil, err
		}
		m := make(map[string]any, len(ks))
		for i, k := range ks {
			if s, ok := k.(string); ok {
				m[s] = vs[i]
			}
		}
		return m, nil
	case hasObjects:
		return all(values)
	}
	o := object{fields: map[string]any{}}
	if c, ok := d["$class"].(plist.UID); ok && uint64(c) < uint64(len(objects)) {
		if cd, ok := objects[c].(map[string]any); ok {
			o.class, _ = cd["$classname"].(string)
		}
	}
	for k, v := range d {
		u, ok := v.(plist.UID)
		if k == "$class" || !ok {
			if !ok {
				o.fields[k] = v // a value encoded inline (encodeInt:, encodeBool:)
			}
			continue
		}
		r, err := resolve(objects, u, depth+1)
		if err != nil {
			return nil, err
		}
		o.fields[k] = r
	}
	return o, nil
}
