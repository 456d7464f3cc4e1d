package ui

import (
	"context"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/amkit-dev/amkit/cmd/am-dbg/internal/store"
	am "github.com/amkit-dev/amkit/pkg/machine"
	"github.com/amkit-dev/amkit/pkg/telemetry/dbg"
	"github.com/amkit-dev/amkit/pkg/telemetry/dbg/server"
)

// ordersSchema is a small order workflow: Shipped requires Paid, so
// shipping an unpaid order is canceled, and PaidEnter refuses a zero
// amount.
var ordersSchema = am.Schema{
	"Open":    {},
	"Paid":    {Require: am.S{"Open"}},
	"Shipped": {Require: am.S{"Paid"}},
}

var paymentSchema = am.Schema{
	"Charging": {},
	"Charged":  {Remove: am.S{"Charging"}},
	"Receipt":  {Auto: true, Require: am.S{"Charged"}},
}

type ordersHandlers struct{}

// PaidEnter refuses a payment without an amount.
func (*ordersHandlers) PaidEnter(e *am.Event) bool {
	amount, _ := e.Args["amount"].(int)
	return amount > 0
}

// live is a dbg server feeding an inbox and a store, as am-dbg runs it.
type live struct {
	inbox *store.Inbox
	data  *store.Store
	addr  string
}

func startLive(t *testing.T) *live {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	in := store.NewInbox(nil)
	srv := server.Serve(in.Listener(ln), in, nil)
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Error(err)
		}
		in.Close()
	})
	return &live{inbox: in, data: store.New(nil), addr: ln.Addr().String()}
}

// ending is how runOrders leaves its machines.
type ending int

const (
	// stayLive keeps both machines running until the test ends.
	stayLive ending = iota
	// disposePayment disposes the payment submachine; orders runs on.
	disposePayment
	// disposeAll disposes both machines, then closes the tracer.
	disposeAll
	// vanish closes the tracer with both machines running: the client
	// goes away without disposing them, as a crash looks to the debugger.
	vanish
)

// runOrders runs the orders workflow on real machines reporting to addr,
// ends it as told, and returns once the server has everything.
func runOrders(t *testing.T, addr string, end ending) {
	t.Helper()
	tracer := dbg.NewTracer(addr, &dbg.Opts{MinBackoff: 5 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	orders, err := am.New(ctx, ordersSchema, &am.Opts{
		ID: "orders", Tracers: []am.Tracer{tracer}, LogLevel: am.LogLevelChanges,
		LoggableArgs: []string{"amount"}, Logger: am.NewTextSink(io.Discard),
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := orders.BindHandlers(&ordersHandlers{}); err != nil {
		t.Fatal(err)
	}
	payment, err := am.New(ctx, paymentSchema, &am.Opts{
		ID: "payment", Parent: orders, LogLevel: am.LogLevelChanges, Logger: am.NewTextSink(io.Discard),
	})
	if err != nil {
		t.Fatal(err)
	}
	orders.Add1("Open", nil)                // #1
	orders.Add1("Shipped", nil)             // #2 canceled: not paid
	orders.Add1("Paid", am.A{"amount": 0})  // #3 canceled by PaidEnter
	payment.Add1("Charging", nil)           // payment #1
	payment.Add1("Charged", nil)            // payment #2, then #3 auto Receipt
	orders.Log("payment %s", "charged")     // between transitions
	orders.Add1("Paid", am.A{"amount": 30}) // #4
	orders.Add1("Shipped", nil)             // #5: -Open
	flush, stop := context.WithTimeout(ctx, 10*time.Second)
	defer stop()
	switch end {
	case disposePayment:
		payment.Dispose()
		<-payment.WhenDisposed()
	case disposeAll:
		orders.Dispose()
		<-orders.WhenDisposed()
	}
	if end == disposeAll || end == vanish {
		if err := tracer.Close(flush); err != nil {
			t.Fatal(err)
		}
		return
	}
	if err := tracer.Flush(flush); err != nil {
		t.Fatal(err)
	}
}

// newTestModel returns a model over what the live server received, on a
// 160x48 screen.
func newTestModel(t *testing.T, l *live) *Model {
	t.Helper()
	l.data.Drain(l.inbox)
	m := New(l.data, &Options{Source: l.addr, Live: true})
	m.Update(tea.WindowSizeMsg{Width: 160, Height: 48})
	return m
}

// screen returns what the user sees, without colors.
func screen(m *Model) string { return ansi.Strip(m.View().Content) }

// press sends keys, as tmux names them: single characters, or names like
// "right", "enter", "tab".
func press(m *Model, keys ...string) {
	for _, k := range keys {
		m.Update(keyMsg(k))
	}
}

func keyMsg(k string) tea.KeyPressMsg {
	special := map[string]rune{
		"up": tea.KeyUp, "down": tea.KeyDown, "left": tea.KeyLeft, "right": tea.KeyRight,
		"home": tea.KeyHome, "end": tea.KeyEnd, "enter": tea.KeyEnter, "esc": tea.KeyEscape,
		"tab": tea.KeyTab, "pgup": tea.KeyPgUp, "pgdown": tea.KeyPgDown,
	}
	if code, ok := special[k]; ok {
		return tea.KeyPressMsg{Code: code}
	}
	if k == "shift+tab" {
		return tea.KeyPressMsg{Code: tea.KeyTab, Mod: tea.ModShift}
	}
	r := []rune(k)[0]
	return tea.KeyPressMsg{Code: r, Text: k}
}

// lineWith returns the screen's first line containing all of parts, or "".
func lineWith(s string, parts ...string) string {
	for _, line := range strings.Split(s, "\n") {
		ok := true
		for _, p := range parts {
			ok = ok && strings.Contains(line, p)
		}
		if ok {
			return line
		}
	}
	return ""
}
