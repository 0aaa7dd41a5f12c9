// Package deploy holds the Kubernetes manifests (kubernetes/) and the Helm
// chart (helm/gopulse) of the gopulse node agent. It has no Go API: its tests
// decode the manifests and the rendered chart strictly with the k8s.io/api
// types and check the least-privilege contract of the DaemonSet.
package deploy
