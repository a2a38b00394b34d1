package io.warren.master.mqtt;

import java.time.Duration;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The MQTT bridge of the master.
 *
 * @param enabled whether the master connects to an MQTT broker at all
 * @param url the broker, {@code tcp://host:1883} or {@code ssl://host:8883}
 * @param username the user name the master connects with, if the broker wants one
 * @param password its password
 * @param topicPrefix the first level of every topic ({@code warren/submit/<type>},
 * {@code warren/tasks/...})
 * @param shareGroup the shared subscription group of the masters' submit subscription
 * ({@code $share/<group>/...}), so that each submission is taken by one master; empty
 * subscribes without sharing (brokers without shared subscriptions, and one master only)
 * @param connectTimeout how long a connection attempt may take
 * @param maxInflight notices published and not yet acknowledged by the broker beyond
 * which new ones are dropped (and counted)
 * @param submitThreads threads that store MQTT submissions (Paho's own thread only hands
 * them over)
 */
@ConfigurationProperties("warren.mqtt")
public record MqttProperties(@DefaultValue("false") boolean enabled, @DefaultValue("tcp://localhost:1883") String url,
		String username, String password, @DefaultValue("warren") String topicPrefix,
		@DefaultValue("warren") String shareGroup, @DefaultValue("10s") Duration connectTimeout,
		@DefaultValue("1000") int maxInflight, @DefaultValue("2") int submitThreads) {

	public MqttProperties {
		if (topicPrefix.isEmpty() || topicPrefix.contains("+") || topicPrefix.contains("#")
				|| topicPrefix.endsWith("/")) {
			throw new IllegalArgumentException(
					"warren.mqtt.topic-prefix must be a topic without wildcards or a trailing slash");
		}
		shareGroup = (shareGroup != null) ? shareGroup : "";
		if (shareGroup.contains("/") || shareGroup.contains("+") || shareGroup.contains("#")) {
			throw new IllegalArgumentException("warren.mqtt.share-group must be one topic level");
		}
		if (maxInflight < 1 || submitThreads < 1) {
			throw new IllegalArgumentException("warren.mqtt.max-inflight and submit-threads must be 1 or more");
		}
	}

	/** The topic filter the masters subscribe to for submissions. */
	String submitFilter() {
		String filter = this.topicPrefix + "/submit/+";
		return this.shareGroup.isEmpty() ? filter : "$share/" + this.shareGroup + "/" + filter;
	}

}
