package tray

import (
	"go/ast"
	"go/parser"
	"go/token"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// selectorPattern is an Objective-C message name: a keyword, or keywords each ending in ':'.
var selectorPattern = regexp.MustCompile(`^([a-z][A-Za-z0-9]*|([a-zA-Z][A-Za-z0-9]*:)+)$`)

// TestCocoaNames: every selector in cocoa_darwin.go is a well-formed Objective-C message name, named
// once; every class is an AppKit or Foundation class (NS…).
func TestCocoaNames(t *testing.T) {
	sels, classes := cocoaConstants(t)
	seen := map[string]string{}
	for name, value := range sels {
		if !selectorPattern.MatchString(value) {
			t.Errorf("%s = %q is not an Objective-C selector", name, value)
		}
		if other, dup := seen[value]; dup {
			t.Errorf("%s and %s both name %q", name, other, value)
		}
		seen[value] = name
	}
	for name, value := range classes {
		if !strings.HasPrefix(value, "NS") {
			t.Errorf("%s = %q is not an AppKit or Foundation class", name, value)
		}
	}
	if len(sels) < 30 || len(classes) < 10 {
		t.Fatalf("read %d selectors and %d classes from cocoa_darwin.go: the test no longer finds them", len(sels), len(classes))
	}
}

// TestCocoaCallsMatchSelectors reads ui_darwin.go (the macOS tray, which cannot run here) and
// checks each message it sends: the selector is one of cocoa_darwin.go's constants, and the call
// passes as many arguments as the selector has colons. A wrong count is undefined behaviour in
// the Objective-C runtime; send refuses it at run time, and this test at build time. Every
// selector in cocoa_darwin.go must be used, and every class it names.
func TestCocoaCallsMatchSelectors(t *testing.T) {
	sels, classes := cocoaConstants(t)
	f, err := parser.ParseFile(token.NewFileSet(), "ui_darwin.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	used := map[string]bool{}
	ast.Inspect(f, func(n ast.Node) bool {
		if id, ok := n.(*ast.Ident); ok {
			used[id.Name] = true
		}
		return true
	})
	calls := 0
	ast.Inspect(f, func(n ast.Node) bool {
		if fd, ok := n.(*ast.FuncDecl); ok && cocoaHelpers[fd.Name.Name] {
			return false // the helpers pass on a selector they were given
		}
		call, ok := n.(*ast.CallExpr)
		if !ok {
			return true
		}
		selArg := -1 // the index of the selector among the call's arguments
		switch fn := call.Fun.(type) {
		case *ast.SelectorExpr:
			switch fn.Sel.Name {
			case "send":
				selArg = 1
			case "newObject": // newObject(class, init, args...)
				selArg = 1
			case "setString": // setString(obj, sel, text): one argument
				if len(call.Args) != 3 {
					t.Errorf("setString with %d arguments", len(call.Args))
				}
				if s := identName(call.Args[1]); sels[s] != "" && strings.Count(sels[s], ":") != 1 {
					t.Errorf("setString sends %s (%q), which does not take one argument", s, sels[s])
				}
				return true
			}
		case *ast.IndexExpr:
			if id, ok := fn.X.(*ast.Ident); ok && id.Name == "sendAs" {
				selArg = 2
			}
		}
		if selArg < 0 || len(call.Args) <= selArg {
			return true
		}
		name := identName(call.Args[selArg])
		value, ok := sels[name]
		if !ok {
			t.Errorf("a message sent with %s, which is not a selector constant of cocoa_darwin.go", name)
			return true
		}
		calls++
		if got, want := len(call.Args)-selArg-1, strings.Count(value, ":"); got != want {
			t.Errorf("%s (%q) sent with %d arguments, it takes %d", name, value, got, want)
		}
		return true
	})
	if calls < 30 {
		t.Fatalf("found %d message sends in ui_darwin.go: the test no longer recognises them", calls)
	}
	for name := range sels {
		if !used[name] {
			t.Errorf("%s is in cocoa_darwin.go but ui_darwin.go never uses it", name)
		}
	}
	for name := range classes {
		if !used[name] {
			t.Errorf("%s is in cocoa_darwin.go but ui_darwin.go never uses it", name)
		}
	}
}

// cocoaHelpers are ui_darwin.go's functions that send the selector they are passed.
var cocoaHelpers = map[string]bool{"send": true, "sendAs": true, "newObject": true, "setString": true}

func identName(e ast.Expr) string {
	if id, ok := e.(*ast.Ident); ok {
		return id.Name
	}
	return "<expression>"
}

// cocoaConstants are cocoa_darwin.go's selector and class constants, by Go name, with their
// values (read from its source: it builds for macOS only).
func cocoaConstants(t *testing.T) (sels, classes map[string]string) {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "cocoa_darwin.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	sels, classes = map[string]string{}, map[string]string{}
	for _, d := range f.Decls {
		gd, ok := d.(*ast.GenDecl)
		if !ok || gd.Tok != token.CONST {
			continue
		}
		for _, spec := range gd.Specs {
			vs := spec.(*ast.ValueSpec)
			typ, ok := vs.Type.(*ast.Ident)
			if !ok || len(vs.Names) != 1 || len(vs.Values) != 1 {
				continue
			}
			lit, ok := vs.Values[0].(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				continue
			}
			value, err := strconv.Unquote(lit.Value)
			if err != nil {
				t.Fatalf("%s: %v", vs.Names[0].Name, err)
			}
			switch typ.Name {
			case "selector":
				sels[vs.Names[0].Name] = value
			case "cocoaClass":
				classes[vs.Names[0].Name] = value
			}
		}
	}
	return sels, classes
}
