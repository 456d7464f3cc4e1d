package machine

import (
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"weak"
)

// schemaCache shares compiled schemas between machines created from
// identical schemas: compiling is most of what creating a machine costs,
// and a compiled schema is most of what an idle machine holds. It maps a
// schema's canonical text to a weak pointer, so a compiled schema lives as
// long as a machine uses it, and a cleanup removes its entry once none
// does. The compiled schemas are immutable; the cache is the only state
// that machines share, and it is safe for concurrent use.
var schemaCache sync.Map // string -> weak.Pointer[compiled]

// compileShared returns the compiled form of schema with the index order
// order, from the cache when an identical schema was compiled before and
// is still in use.
func compileShared(schema Schema, order S) (*compiled, error) {
	if schema == nil {
		return compileSchema(schema, nil, order)
	}
	key := schemaKey(schema, order)
	if v, ok := schemaCache.Load(key); ok {
		if c := v.(weak.Pointer[compiled]).Value(); c != nil {
			return c, nil
		}
	}
	c, err := compileSchema(schema, nil, order)
	if err != nil {
		return nil, err
	}
	wp := weak.Make(c)
	schemaCache.Store(key, wp)
	runtime.AddCleanup(c, func(key string) { schemaCache.CompareAndDelete(key, wp) }, key)
	return c, nil
}

// schemaKey writes everything compileSchema reads, states in name order,
// with lengths before lists, so that two schemas share a key only when
// they compile to the same thing.
func schemaKey(schema Schema, order S) string {
	names := make(S, 0, len(schema))
	for name := range schema {
		names = append(names, name)
	}
	slices.Sort(names)
	var b strings.Builder
	list := func(l []string) {
		b.WriteString(strconv.Itoa(len(l)))
		for _, s := range l {
			b.WriteByte(0)
			b.WriteString(s)
		}
		b.WriteByte(1)
	}
	list(order)
	for _, name := range names {
		st := schema[name]
		b.WriteString(name)
		b.WriteByte(0)
		b.WriteByte('0' + boolDigit(st.Auto) + 2*boolDigit(st.Multi))
		for _, l := range [...][]string{st.Require, st.Add, st.Remove, st.After, st.Tags} {
			list(l)
		}
	}
	return b.String()
}

func boolDigit(v bool) byte {
	if v {
		return 1
	}
	return 0
}
