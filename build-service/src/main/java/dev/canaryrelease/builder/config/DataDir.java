package dev.canaryrelease.builder.config;

import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

import com.fasterxml.jackson.databind.ObjectMapper;

import dev.canaryrelease.builder.domain.BuildStore;

/** The files build-service keeps, in {@code canary.data-dir}: the build records and logs. */
@Singleton
public class DataDir {

    @Produces
    @Singleton
    BuildStore store(BuildConfig config, ObjectMapper json) {
        return new BuildStore(config.dataDir(), json);
    }

    /** Releases the data directory's lock when the service stops. */
    void close(@Disposes BuildStore store) {
        store.close();
    }
}
