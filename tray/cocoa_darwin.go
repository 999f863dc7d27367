//go:build darwin

package tray

import "strings"

// The Objective-C classes and messages the macOS tray (ui_darwin.go) uses, and the constants
// it passes, in one table. The tests read this file and ui_darwin.go as source on every OS: a
// message sent with the wrong number of arguments is undefined behaviour in the Objective-C
// runtime, not an error, so TestCocoaCallsMatchSelectors counts the arguments of every call in
// ui_darwin.go against its selector here.

// cocoaClass is the name of an Objective-C class.
type cocoaClass string

// The classes.
const (
	clsNSApplication      cocoaClass = "NSApplication"
	clsNSAutoreleasePool  cocoaClass = "NSAutoreleasePool"
	clsNSData             cocoaClass = "NSData"
	clsNSEvent            cocoaClass = "NSEvent"
	clsNSImage            cocoaClass = "NSImage"
	clsNSMenu             cocoaClass = "NSMenu"
	clsNSMenuItem         cocoaClass = "NSMenuItem"
	clsNSObject           cocoaClass = "NSObject"
	clsNSStatusBar        cocoaClass = "NSStatusBar"
	clsNSString           cocoaClass = "NSString"
	clsNSThread           cocoaClass = "NSThread"
	targetClassNamePrefix            = "SpotwatchTrayTarget" // our NSObject subclass that receives clicks
)

// selector is an Objective-C message name. It takes as many arguments as it has colons.
type selector string

// arity is how many arguments the message takes.
func (s selector) arity() int { return strings.Count(string(s), ":") }

// The messages (arity: as many arguments as colons).
const (
	selAddItem                  selector = "addItem:"
	selAlloc                    selector = "alloc"
	selButton                   selector = "button"
	selDataWithBytesLength      selector = "dataWithBytes:length:"
	selDrain                    selector = "drain"
	selInitWithBytesLenEncoding selector = "initWithBytes:length:encoding:"
	selInitWithData             selector = "initWithData:"
	selInitWithTitle            selector = "initWithTitle:"
	selInitWithTitleActionKey   selector = "initWithTitle:action:keyEquivalent:"
	selIsMainThread             selector = "isMainThread"
	selMenuClicked              selector = "menuClicked:" // ours: a menu item was chosen
	selNew                      selector = "new"
	selOtherEvent               selector = "otherEventWithType:location:modifierFlags:timestamp:windowNumber:context:subtype:data1:data2:"
	selPerformOnMainThread      selector = "performSelectorOnMainThread:withObject:waitUntilDone:"
	selPostEventAtStart         selector = "postEvent:atStart:"
	selRefresh                  selector = "refresh:" // ours: show the latest View
	selRelease                  selector = "release"
	selRemoveStatusItem         selector = "removeStatusItem:"
	selRetain                   selector = "retain"
	selRun                      selector = "run"
	selSeparatorItem            selector = "separatorItem"
	selSetActivationPolicy      selector = "setActivationPolicy:"
	selSetAutoenablesItems      selector = "setAutoenablesItems:"
	selSetEnabled               selector = "setEnabled:"
	selSetHidden                selector = "setHidden:"
	selSetImage                 selector = "setImage:"
	selSetMenu                  selector = "setMenu:"
	selSetSize                  selector = "setSize:"
	selSetState                 selector = "setState:"
	selSetSubmenu               selector = "setSubmenu:"
	selSetTag                   selector = "setTag:"
	selSetTarget                selector = "setTarget:"
	selSetTemplate              selector = "setTemplate:"
	selSetTitle                 selector = "setTitle:"
	selSetToolTip               selector = "setToolTip:"
	selSharedApplication        selector = "sharedApplication"
	selStatusItemWithLength     selector = "statusItemWithLength:"
	selStop                     selector = "stop:"
	selSystemStatusBar          selector = "systemStatusBar"
	selTag                      selector = "tag"
	selQuitTray                 selector = "quitTray:" // ours: stop the run loop
)

// AppKit's constants, from its headers.
const (
	nsApplicationActivationPolicyAccessory = 1    // a menu-bar item, no Dock icon, no menu of its own
	nsVariableStatusItemLength             = -1.0 // the status item is as wide as its icon
	nsControlStateValueOff                 = 0
	nsControlStateValueOn                  = 1
	nsUTF8StringEncoding                   = 4
	nsEventTypeApplicationDefined          = 15 // the event posted to wake the run loop after stop:
	trayIconPoints                         = 16 // the template PNGs are 32 pixels: 16 points at 2x
)

// appKitPath is the framework whose classes the tray uses; loading it registers them with the
// Objective-C runtime.
const appKitPath = "/System/Library/Frameworks/AppKit.framework/AppKit"
