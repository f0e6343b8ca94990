/**
 * dns-service: keeps the zone's records (hosts, {@code swarm}, app names, {@code canary.<app>})
 * through BIND dynamic updates or hosts files over SSH.
 */
package dev.canaryrelease.dns;
