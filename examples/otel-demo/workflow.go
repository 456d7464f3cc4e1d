package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	am "github.com/amkit-dev/amkit/pkg/machine"
)

// The demo is an order that takes a payment and a shipment, each handled by
// a submachine. The payment's first authorization times out and is retried,
// and the order is marked delivered once too early, so the trace shows an
// error, a retry and a canceled transition next to the happy path.

var orderSchema = am.Schema{
	"Created":   {},
	"Paid":      {Require: am.S{"Created"}},
	"Shipped":   {Require: am.S{"Paid"}},
	"Delivered": {Require: am.S{"Shipped"}},
}

var paymentSchema = am.Schema{
	// Multi, so that a retry re-runs AuthorizingState
	"Authorizing": {Multi: true, Remove: am.S{"Authorized"}},
	"Authorized":  {Remove: am.S{"Authorizing"}},
	"Captured":    {Require: am.S{"Authorized"}},
}

var shippingSchema = am.Schema{
	"Packing":   {Remove: am.S{"Packed"}},
	"Packed":    {Remove: am.S{"Packing"}},
	"InTransit": {Require: am.S{"Packed"}},
	"Delivered": {Require: am.S{"InTransit"}},
}

// loggableArgs are the args that traces and logs may show.
var loggableArgs = []string{"amount", "attempt", "carrier"}

// runWorkflow runs one order to delivery with tracer bound to the order,
// which its submachines inherit, and disposes the machines. bind, if not
// nil, can bind more exporters to the order before it starts. Every machine
// is idle when called, so all of it runs in this goroutine.
func runWorkflow(ctx context.Context, tracer am.Tracer, bind func(order *am.Machine) error) error {
	order, err := am.New(ctx, orderSchema, &am.Opts{ID: "order-1", Tracers: []am.Tracer{tracer}, LoggableArgs: loggableArgs})
	if err != nil {
		return fmt.Errorf("order machine: %w", err)
	}
	defer order.Dispose()
	if bind != nil {
		if err := bind(order); err != nil {
			return err
		}
	}
	h := &orderHandlers{}
	if err := order.BindHandlers(h); err != nil {
		return fmt.Errorf("order handlers: %w", err)
	}

	// too early: Delivered requires Shipped, so this is canceled
	order.Add1("Delivered", nil)
	order.Add1("Created", am.A{"amount": "42.00"})
	if h.err != nil {
		return h.err
	}
	if !order.Is1("Shipped") {
		return fmt.Errorf("order not shipped: %v", order.ActiveStates())
	}
	// the parcel travels for a while
	time.Sleep(20 * time.Millisecond)
	h.shipping.Add1("Delivered", nil)
	if !order.Is1("Delivered") {
		return fmt.Errorf("order not delivered: %v", order.ActiveStates())
	}

	order.Dispose()
	<-order.WhenDisposed()
	<-h.payment.WhenDisposed()
	<-h.shipping.WhenDisposed()
	return nil
}

type orderHandlers struct {
	payment, shipping *am.Machine
	// err is the first submachine failure, reported by runWorkflow
	err error
}

func (h *orderHandlers) CreatedState(e *am.Event) {
	h.payment, h.err = newSubmachine(e, "payment-1", paymentSchema, &paymentHandlers{order: e.Machine})
	if h.err == nil {
		h.payment.EvAdd1(e, "Authorizing", am.A{"amount": e.Args["amount"], "attempt": 1})
	}
}

func (h *orderHandlers) PaidState(e *am.Event) {
	h.shipping, h.err = newSubmachine(e, "shipping-1", shippingSchema, &shippingHandlers{order: e.Machine})
	if h.err == nil {
		h.shipping.EvAdd1(e, "Packing", nil)
	}
}

// newSubmachine creates a submachine of the handler's machine, logging at
// the same level.
func newSubmachine(e *am.Event, id string, schema am.Schema, handlers any) (*am.Machine, error) {
	m, err := am.New(e.Machine.Ctx(), schema, &am.Opts{
		ID:           id,
		Parent:       e.Machine,
		LoggableArgs: loggableArgs,
		LogLevel:     e.Machine.LogLevel(),
	})
	if err != nil {
		return nil, fmt.Errorf("%s machine: %w", id, err)
	}
	if err := m.BindHandlers(handlers); err != nil {
		return nil, fmt.Errorf("%s handlers: %w", id, err)
	}
	return m, nil
}

type paymentHandlers struct{ order *am.Machine }

var errTimeout = errors.New("card network timeout")

func (h *paymentHandlers) AuthorizingState(e *am.Event) {
	// the card network answers slowly, and the first time not at all
	time.Sleep(4 * time.Millisecond)
	if attempt, _ := e.Args["attempt"].(int); attempt < 2 {
		e.Machine.EvAddErr(e, errTimeout, nil)
		e.Machine.EvAdd1(e, "Authorizing", am.A{"amount": e.Args["amount"], "attempt": attempt + 1})
		return
	}
	e.Machine.EvRemove1(e, am.Exception, nil)
	e.Machine.EvAdd1(e, "Authorized", nil)
}

func (h *paymentHandlers) AuthorizedState(e *am.Event) {
	time.Sleep(2 * time.Millisecond)
	e.Machine.EvAdd1(e, "Captured", nil)
}

func (h *paymentHandlers) CapturedState(e *am.Event) { h.order.EvAdd1(e, "Paid", nil) }

type shippingHandlers struct{ order *am.Machine }

func (h *shippingHandlers) PackingState(e *am.Event) {
	time.Sleep(3 * time.Millisecond)
	e.Machine.EvAdd1(e, "Packed", nil)
}

func (h *shippingHandlers) PackedState(e *am.Event) {
	e.Machine.EvAdd1(e, "InTransit", am.A{"carrier": "DHL"})
}

// InTransitEnter checks the carrier before the parcel leaves.
func (h *shippingHandlers) InTransitEnter(e *am.Event) bool {
	time.Sleep(time.Millisecond)
	return e.Args["carrier"] != nil
}

func (h *shippingHandlers) InTransitState(e *am.Event) { h.order.EvAdd1(e, "Shipped", nil) }

func (h *shippingHandlers) DeliveredState(e *am.Event) { h.order.EvAdd1(e, "Delivered", nil) }
