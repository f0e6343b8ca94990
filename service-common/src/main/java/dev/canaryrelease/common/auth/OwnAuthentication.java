package dev.canaryrelease.common.auth;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * An endpoint that authenticates its caller itself and is not an operator's door, so the API token
 * check ({@link TokenAuth#refusal}) lets it through: the registry's notifications (their own bearer
 * token, which the registry sends) or GitHub's webhook (its HMAC signature). Say in a comment
 * beside it what it checks instead.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.TYPE, ElementType.METHOD})
public @interface OwnAuthentication {}
