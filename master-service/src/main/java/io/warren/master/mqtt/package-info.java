/**
 * The MQTT bridge: tasks submitted by publishing to {@code <prefix>/submit/<type>}, and
 * every task's end published to {@code <prefix>/tasks/<type>/<id>/<status>}, through an
 * MQTT broker (Mosquitto, or RabbitMQ's MQTT plugin) with the Eclipse Paho client.
 */
package io.warren.master.mqtt;
