// Package mdatagen pins the OpenTelemetry Collector's mdatagen, the
// generator of the collector components' metadata code (go tool mdatagen,
// run by scripts/mdatagen.sh). v0.158.0 is the newest the module proxy
// serves; it is a generator only and need not match the components' core
// module versions.
package mdatagen
