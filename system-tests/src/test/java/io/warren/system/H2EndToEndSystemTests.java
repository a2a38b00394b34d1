package io.warren.system;

/** End to end on the master's shipped default store: an H2 file under ./data. */
class H2EndToEndSystemTests extends EndToEndSystemTests {

	@Override
	WarrenCluster cluster() {
		return WarrenCluster.onH2();
	}

}
