// Package amtele exports amkit machines to observability backends:
// OpenTelemetry traces and logs, and Loki. Import it as amtele:
//
//	import amtele "github.com/amkit-dev/amkit/pkg/telemetry"
package amtele
