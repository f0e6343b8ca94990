/** registry-service. */
package dev.canaryrelease.registry;
