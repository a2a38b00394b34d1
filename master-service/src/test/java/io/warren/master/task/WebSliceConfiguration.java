package io.warren.master.task;

import io.warren.master.config.MasterProperties;
import io.warren.master.web.ApiSecurity;
import io.warren.protocol.WireFormat;

import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;

/**
 * What the web-slice tests need beside the controllers and advice: settings, security.
 */
@TestConfiguration
@EnableConfigurationProperties(MasterProperties.class)
@Import({ ApiSecurity.class, TaskViews.class })
class WebSliceConfiguration {

	@Bean
	WireFormat wireFormat() {
		return new WireFormat("test");
	}

}
