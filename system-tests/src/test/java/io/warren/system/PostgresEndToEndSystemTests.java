package io.warren.system;

/** End to end with the master on PostgreSQL. */
class PostgresEndToEndSystemTests extends EndToEndSystemTests {

	@Override
	WarrenCluster cluster() {
		return WarrenCluster.onPostgres();
	}

}
