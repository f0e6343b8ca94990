/** dns-service. */
package dev.canaryrelease.dns;
