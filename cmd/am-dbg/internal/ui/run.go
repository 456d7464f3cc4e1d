package ui

import (
	"context"
	"errors"
	"fmt"

	tea "charm.land/bubbletea/v2"
)

// Run shows m on the terminal until the user quits or ctx ends. Ending
// through ctx is not an error.
func Run(ctx context.Context, m *Model) error {
	_, err := tea.NewProgram(m, tea.WithContext(ctx)).Run()
	if err != nil && !(errors.Is(err, tea.ErrProgramKilled) && ctx.Err() != nil) {
		return fmt.Errorf("am-dbg ui: %w", err)
	}
	return nil
}
