// Package gopulselogprocessor is an OpenTelemetry Collector processor that
// runs gopulse's log engine on log record bodies, per stream (a file, a
// container, named by resource or record attributes such as log.file.path
// or k8s.container.name): each stream's format is detected with no
// configuration, the parsed fields become typed attributes, stack traces
// and indented continuations are assembled into one record, each record
// gets its template id and text, and changes of a stream's schema are
// emitted as event records. With the filelog receiver in front, a collector
// parses application logs without hand-written operator chains.
package gopulselogprocessor

//go:generate ../../scripts/mdatagen.sh here
