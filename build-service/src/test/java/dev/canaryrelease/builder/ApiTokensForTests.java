package dev.canaryrelease.builder;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;

import dev.canaryrelease.testsupport.TestTokens;

/** Every {@code @QuarkusTest} of this module gets the test API tokens file ({@link TestTokens}). */
@WithTestResource(value = TestTokens.class, scope = TestResourceScope.GLOBAL)
final class ApiTokensForTests {
    private ApiTokensForTests() {}
}
