/** deploy-service. */
package dev.canaryrelease.deploy;
