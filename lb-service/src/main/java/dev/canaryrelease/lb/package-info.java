/** lb-service. */
package dev.canaryrelease.lb;
