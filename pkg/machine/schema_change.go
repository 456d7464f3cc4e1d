package machine

import "fmt"

// SetSchema replaces the machine's schema. Existing states keep their index
// and clocks; new states are appended in name order, inactive. Removing a
// state is an error. The change waits in the queue behind a running
// transition; tracers then get [Tracer.SchemaChange].
func (m *Machine) SetSchema(schema Schema) error {
	m.mu.Lock()
	prev := m.schema.names
	disposing := m.disposing
	m.mu.Unlock()
	if disposing {
		return fmt.Errorf("set schema of %s: %w", m.id, ErrDisposed)
	}
	c, err := compileSchema(schema, prev, nil)
	if err != nil {
		return fmt.Errorf("set schema of %s: %w", m.id, err)
	}
	m.serialize(func() {
		m.mu.Lock()
		old := m.schema.cloneSchema()
		m.schema = c
		for len(m.clocks) < len(c.names) {
			m.clocks = append(m.clocks, 0)
		}
		tracers := m.tracers
		m.mu.Unlock()
		for _, t := range tracers {
			m.callTracer(t, "SchemaChange", func() { t.SchemaChange(m, old) })
		}
		m.log(LogLevelOps, "[schema] %d states, %d relations", len(c.names), c.relations)
	})
	return nil
}
