package io.warren.master.config;

import org.springframework.amqp.AmqpException;
import org.springframework.amqp.rabbit.connection.Connection;
import org.springframework.amqp.rabbit.connection.ConnectionFactory;
import org.springframework.amqp.rabbit.listener.SimpleMessageListenerContainer;

/**
 * A listener container that declares its queue again when it finds it missing (someone
 * deleted the replies queue under a running master), like Spring AMQP's own, but does not
 * try while the broker is unreachable: there the attempt can only fail, and Spring AMQP
 * logs each failure as an ERROR, once per consumer restart, for the whole outage. The
 * admin declares everything anyway on the next connection.
 */
class QuietlyRedeclaringContainer extends SimpleMessageListenerContainer {

	QuietlyRedeclaringContainer(ConnectionFactory connectionFactory) {
		super(connectionFactory);
	}

	@Override
	protected void redeclareElementsIfNecessary() {
		try {
			Connection connection = getConnectionFactory().createConnection();
			if (!connection.isOpen()) {
				return;
			}
		}
		catch (AmqpException ex) {
			return;
		}
		super.redeclareElementsIfNecessary();
	}

}
