/** gateway. */
package dev.canaryrelease.gateway;
