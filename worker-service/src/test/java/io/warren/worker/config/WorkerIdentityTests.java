package io.warren.worker.config;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

/** A worker id the master could not store stops the worker at start, not its replies. */
class WorkerIdentityTests {

	@Test
	void idsTheMasterStoresAreAccepted() {
		assertThat(new WorkerIdentity("w".repeat(255)).id()).hasSize(255);
		assertThat(new WorkerIdentity("worker-\u00e9\u4e16-7").id()).isEqualTo("worker-\u00e9\u4e16-7");
	}

	@Test
	void idLongerThanTheMastersColumnOrWithAControlCharacterIsRefused() {
		assertThatIllegalStateException().isThrownBy(() -> new WorkerIdentity("w".repeat(256)))
			.withMessageContaining("warren.worker.id must be at most 255 characters");
		assertThatIllegalStateException().isThrownBy(() -> new WorkerIdentity("worker\u00001"));
		assertThatIllegalStateException().isThrownBy(() -> new WorkerIdentity("worker\n1"));
	}

}
