package dbg

import (
	"fmt"
	"os"

	am "github.com/amkit-dev/amkit/pkg/machine"
)

// EnvAddr is the environment variable read by [BindEnv]: empty or unset
// means off, "1" means [DefaultAddr], anything else is a host:port.
const EnvAddr = "AM_DBG_ADDR"

// EnvToken is the environment variable holding the token a [Tracer]
// sends when [Opts.Token] is empty, and that am-dbg requires when --token
// is not given. The environment, unlike a command line, is not shown to
// other users of the machine.
const EnvToken = "AM_DBG_TOKEN"

// BindEnv binds a [Tracer] to mach when AM_DBG_ADDR is set, so a program
// can be debugged without a code change:
//
//	AM_DBG_ADDR=1 go run ./myprogram
//
// It sends AM_DBG_TOKEN, if set, to a server that requires a token. It
// returns nil and no error when AM_DBG_ADDR is unset or empty.
func BindEnv(mach *am.Machine) (*Tracer, error) {
	addr := os.Getenv(EnvAddr)
	switch addr {
	case "":
		return nil, nil
	case "1":
		addr = DefaultAddr
	}
	t, err := TransitionsToDbg(mach, addr)
	if err != nil {
		return nil, fmt.Errorf("%s=%s: %w", EnvAddr, addr, err)
	}
	return t, nil
}
