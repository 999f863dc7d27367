package tray

// ui shows the tray icon and menu.
type ui interface {
	// run shows the tray with v and sends menu clicks to actions; it calls ready once the menu
	// exists and blocks until quit.
	run(v View, actions chan<- action, ready func())
	// show updates the icon, tooltip and menu to v; safe from any goroutine.
	show(v View)
	// quit ends run.
	quit()
}
