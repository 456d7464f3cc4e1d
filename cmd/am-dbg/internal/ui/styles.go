package ui

import "charm.land/lipgloss/v2"

// styles are the UI's colors and emphasis. They use the 16 basic ANSI
// colors, which every terminal maps to its own theme, light or dark. No
// information is carried by color alone: markers and columns say the
// same in plain text, which is also what tests and pane captures see.
type styles struct {
	border, focusedBorder lipgloss.Style
	title, focusedTitle   lipgloss.Style

	selected  lipgloss.Style
	cursor    lipgloss.Style
	dim       lipgloss.Style
	active    lipgloss.Style
	changed   lipgloss.Style
	called    lipgloss.Style
	accepted  lipgloss.Style
	canceled  lipgloss.Style
	failed    lipgloss.Style
	auto      lipgloss.Style
	heading   lipgloss.Style
	match     lipgloss.Style
	statusBar lipgloss.Style
	helpKey   lipgloss.Style
}

func defaultStyles() styles {
	fg := func(c string) lipgloss.Style { return lipgloss.NewStyle().Foreground(lipgloss.Color(c)) }
	return styles{
		border:        fg("8"),
		focusedBorder: fg("6"),
		title:         fg("7").Bold(true),
		focusedTitle:  fg("6").Bold(true),

		selected:  lipgloss.NewStyle().Reverse(true),
		cursor:    lipgloss.NewStyle().Bold(true),
		dim:       fg("8"),
		active:    fg("2").Bold(true),
		changed:   fg("3").Bold(true),
		called:    lipgloss.NewStyle().Underline(true),
		accepted:  fg("2"),
		canceled:  fg("1"),
		failed:    fg("1").Bold(true),
		auto:      fg("5"),
		heading:   fg("4").Bold(true),
		match:     fg("3").Underline(true),
		statusBar: lipgloss.NewStyle().Reverse(true),
		helpKey:   fg("6").Bold(true),
	}
}
