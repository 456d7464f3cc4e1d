package amtele

import (
	"errors"
	"fmt"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	semconv "go.opentelemetry.io/otel/semconv/v1.39.0"

	am "github.com/amkit-dev/amkit/pkg/machine"
)

// Values of error.type (semconv [semconv.ErrorTypeKey]) on spans with an
// error status. The semantic conventions ask for a low-cardinality
// identifier of the error's class; the machine's own errors get a name of
// their own, and an error given to Exception its Go type, such as
// "*net.OpError".
const (
	// ErrorTypeHandlerPanic marks a transition canceled by a panicking
	// handler, and the handler's span.
	ErrorTypeHandlerPanic = "am.handler_panic"
	// ErrorTypeHandlerTimeout marks a handler that ran past
	// am.Opts.HandlerTimeout, its span, and the transition it ends: the
	// one a negotiation handler canceled, or the Exception a final handler
	// added.
	ErrorTypeHandlerTimeout = "am.handler_timeout"
	// ErrorTypeUnknownState marks a mutation of a state the schema lacks.
	ErrorTypeUnknownState = "am.unknown_state"
)

var (
	errTypeHandlerPanic   = semconv.ErrorTypeKey.String(ErrorTypeHandlerPanic)
	errTypeHandlerTimeout = semconv.ErrorTypeKey.String(ErrorTypeHandlerTimeout)
	errTypeUnknownState   = semconv.ErrorTypeKey.String(ErrorTypeUnknownState)
	errTypeOther          = semconv.ErrorTypeOther
)

// txStatus marks transitions canceled by an error, rather than by the
// machine's rules, and transitions that activated Exception, with the
// error's text and type.
func (ms *machState) txStatus(tx *am.Transition) (codes.Code, string, attribute.KeyValue) {
	if err := tx.Err; err != nil {
		switch {
		case errors.Is(err, am.ErrHandlerPanic):
			return codes.Error, err.Error(), errTypeHandlerPanic
		case errors.Is(err, am.ErrHandlerTimeout):
			// a negotiation handler past its deadline cancels, as a
			// panicking one does
			return codes.Error, err.Error(), errTypeHandlerTimeout
		case errors.Is(err, am.ErrUnknownState):
			return codes.Error, err.Error(), errTypeUnknownState
		}
		return codes.Unset, "", attribute.KeyValue{}
	}
	if ms.exception >= 0 && tx.IsActivated(ms.exception) {
		text, typ := exceptionError(tx)
		return codes.Error, text, typ
	}
	return codes.Unset, "", attribute.KeyValue{}
}

// exceptionError returns the text and error.type of the error that a
// transition adding Exception carries.
func exceptionError(tx *am.Transition) (string, attribute.KeyValue) {
	err, ok := tx.Mutation.Args[am.ErrArg].(error)
	if !ok || err == nil {
		return am.Exception, errTypeOther
	}
	if errors.Is(err, am.ErrHandlerTimeout) {
		return err.Error(), errTypeHandlerTimeout
	}
	// the type, not the text: texts carry values and would not group
	return err.Error(), semconv.ErrorTypeKey.String(fmt.Sprintf("%T", err))
}
