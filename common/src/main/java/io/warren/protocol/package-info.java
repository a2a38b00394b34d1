/**
 * The wire contract between the Warren master and its workers: message records, topology
 * names and queue arguments, AMQP headers and the JSON mapping. docs/protocol.md is the
 * normative description; this package is its Java rendering.
 */
package io.warren.protocol;
