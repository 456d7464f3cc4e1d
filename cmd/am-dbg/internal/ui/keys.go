package ui

import "charm.land/bubbles/v2/key"

// keyMap holds every key the UI answers to. The help screen lists them
// from here, so it cannot drift from what the keys do.
type keyMap struct {
	NextPane, PrevPane key.Binding
	Up, Down           key.Binding
	PageUp, PageDown   key.Binding

	Back, Forward        key.Binding
	Back100, Forward100  key.Binding
	First, Last          key.Binding
	PrevTouch, NextTouch key.Binding
	Follow               key.Binding

	HideCanceled, HideAuto, HideEmpty, HideChecks, OnlyTouching key.Binding
	LogLevel                                                    key.Binding

	Matrix, Rain, Diagrams key.Binding

	Search, NextMatch, PrevMatch key.Binding
	Help, Quit                   key.Binding
}

// keyGroup is a titled group of keys on the help screen.
type keyGroup struct {
	title string
	keys  []key.Binding
}

func defaultKeys() keyMap {
	b := func(help, desc string, keys ...string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(help, desc))
	}
	return keyMap{
		NextPane: b("tab", "next pane", "tab"),
		PrevPane: b("shift+tab", "previous pane", "shift+tab"),
		Up:       b("↑/k", "move up in the pane", "up", "k"),
		Down:     b("↓/j", "move down in the pane", "down", "j"),
		PageUp:   b("pgup", "page up", "pgup"),
		PageDown: b("pgdn", "page down", "pgdown"),

		Back:       b("←/h", "step back one transition", "left", "h"),
		Forward:    b("→/l", "step forward one transition", "right", "l"),
		Back100:    b("<", "jump back 100 transitions", "<"),
		Forward100: b(">", "jump forward 100 transitions", ">"),
		First:      b("home/g", "first transition", "home", "g"),
		Last:       b("end/G", "last transition", "end", "G"),
		PrevTouch:  b("[", "previous transition touching selected state", "["),
		NextTouch:  b("]", "next transition touching selected state", "]"),
		Follow:     b("f", "follow live: stay on the newest transition", "f"),

		HideCanceled: b("c", "hide canceled transitions", "c"),
		HideAuto:     b("a", "hide auto transitions", "a"),
		HideEmpty:    b("e", "hide empty transitions (no state changed)", "e"),
		HideChecks:   b("x", "hide checks (dry runs: CanAdd and the like)", "x"),
		LogLevel:     b("L", "log level: show fewer log entries, cycling", "L"),

		Matrix:       b("m", "relations matrix of the selected machine", "m"),
		Rain:         b("r", "rain: every machine's transitions, a line each", "r"),
		Diagrams:     b("d", "write the machine's diagrams (Mermaid, DOT)", "d"),
		OnlyTouching: b("t", "only transitions touching selected state", "t"),

		Search:    b("/", "search machines and states", "/"),
		NextMatch: b("n", "next match", "n"),
		PrevMatch: b("N", "previous match", "N"),
		Help:      b("?", "show or hide this help", "?"),
		Quit:      b("q", "quit", "q", "ctrl+c"),
	}
}

// groups returns the keys for the help screen.
func (k keyMap) groups() []keyGroup {
	return []keyGroup{
		{"panes", []key.Binding{k.NextPane, k.PrevPane, k.Up, k.Down, k.PageUp, k.PageDown}},
		{"time travel", []key.Binding{k.Back, k.Forward, k.Back100, k.Forward100, k.First, k.Last, k.PrevTouch, k.NextTouch, k.Follow}},
		{"filters", []key.Binding{k.HideCanceled, k.HideAuto, k.HideEmpty, k.HideChecks, k.OnlyTouching, k.LogLevel}},
		{"views", []key.Binding{k.Matrix, k.Rain, k.Diagrams}},
		{"search and more", []key.Binding{k.Search, k.NextMatch, k.PrevMatch, k.Help, k.Quit}},
	}
}
