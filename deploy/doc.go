// Package deploy holds the container images and the compose stacks; its
// tests check the compose files without a Docker engine.
package deploy
