/** build-service: clones at the commit, builds the app's Dockerfile, pushes the image. */
package dev.canaryrelease.builder;
