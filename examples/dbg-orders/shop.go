package main

import (
	"context"
	"fmt"
	"time"

	am "github.com/amkit-dev/amkit/pkg/machine"
)

// shopSchema: the shop is Open, and each order taken or done re-activates
// a Multi state.
var shopSchema = am.Schema{
	"Open":       {},
	"OrderTaken": {Multi: true, Require: am.S{"Open"}},
	"OrderDone":  {Multi: true, Require: am.S{"Open"}},
}

// orderSchema: an order is Created, Paid, Shipped, then Delivered by
// itself (Auto). Each step requires the one before.
var orderSchema = am.Schema{
	"Created":   {},
	"Paid":      {Require: am.S{"Created"}},
	"Shipped":   {Require: am.S{"Paid"}},
	"Delivered": {Auto: true, Require: am.S{"Shipped"}},
}

// paymentSchema: a payment is Charging, then Charged or Refused.
var paymentSchema = am.Schema{
	"Charging": {},
	"Charged":  {Remove: am.S{"Charging"}},
	"Refused":  {Remove: am.S{"Charging"}},
}

// loggable are the args the machines may send to the debugger.
var loggable = []string{"order", "item", "amount"}

type shop struct {
	mach *am.Machine
	// subs are the order and payment machines, so the shop can wait for
	// their disposal: they dispose on their own once the shop's context
	// ends, after the shop itself.
	subs []*am.Machine
}

func newShop(ctx context.Context) (*shop, error) {
	mach, err := am.New(ctx, shopSchema, &am.Opts{
		ID: "shop", Tags: []string{"example"}, LogLevel: am.LogLevelChanges, LoggableArgs: loggable,
	})
	if err != nil {
		return nil, fmt.Errorf("shop machine: %w", err)
	}
	return &shop{mach: mach}, nil
}

// dispose disposes the shop and waits until every machine of it is
// disposed, so a tracer closed afterwards has seen each disposal.
func (s *shop) dispose() {
	s.mach.Dispose()
	<-s.mach.WhenDisposed()
	for _, sub := range s.subs {
		<-sub.WhenDisposed()
	}
}

// order holds an order machine's handlers.
type order struct {
	payment *am.Machine
}

// PaidEnter refuses a payment without an amount.
func (o *order) PaidEnter(e *am.Event) bool {
	amount, _ := e.Args["amount"].(int)
	return amount > 0
}

// PaidState marks the payment charged, linking it to this transition.
func (o *order) PaidState(e *am.Event) {
	o.payment.EvAdd1(e, "Charged", nil)
}

// handle takes o.orders orders, one after the other, pausing o.pace
// between steps.
func (s *shop) handle(ctx context.Context, o options) error {
	s.mach.Add1("Open", nil)
	for i := 1; i <= o.orders; i++ {
		if err := s.handleOrder(ctx, i, o.pace); err != nil {
			return err
		}
	}
	return nil
}

func (s *shop) handleOrder(ctx context.Context, n int, pace time.Duration) error {
	id := fmt.Sprintf("order-%d", n)
	mach, err := am.New(s.mach.Ctx(), orderSchema, &am.Opts{
		ID: id, Parent: s.mach, LogLevel: am.LogLevelChanges, LoggableArgs: loggable,
	})
	if err != nil {
		return fmt.Errorf("%s machine: %w", id, err)
	}
	payment, err := am.New(mach.Ctx(), paymentSchema, &am.Opts{
		ID: fmt.Sprintf("payment-%d", n), Parent: mach, LogLevel: am.LogLevelChanges, LoggableArgs: loggable,
	})
	if err != nil {
		return fmt.Errorf("payment-%d machine: %w", n, err)
	}
	s.subs = append(s.subs, mach, payment)
	if err := mach.BindHandlers(&order{payment: payment}); err != nil {
		return fmt.Errorf("%s handlers: %w", id, err)
	}
	amount := 10 * n
	steps := []func(){
		func() { s.mach.Add1("OrderTaken", am.A{"order": id}) },
		func() { mach.Add1("Created", am.A{"item": fmt.Sprintf("book-%d", n)}) },
		// the courier is early: Shipped requires Paid, so this is canceled
		func() { mach.Add1("Shipped", nil) },
		func() { payment.Add1("Charging", am.A{"amount": amount}) },
	}
	if n%2 == 0 {
		// a zero amount: PaidEnter cancels it, and the payment is refused
		steps = append(steps,
			func() { mach.Add1("Paid", am.A{"amount": 0}) },
			func() { payment.Add1("Refused", nil) },
			func() { payment.Add1("Charging", am.A{"amount": amount}) },
		)
	}
	steps = append(steps,
		func() { mach.Add1("Paid", am.A{"amount": amount}) },
		// accepted now; Delivered follows by itself
		func() { mach.Add1("Shipped", nil) },
		func() { s.mach.Add1("OrderDone", am.A{"order": id}) },
	)
	for _, step := range steps {
		step()
		select {
		case <-time.After(pace):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}
