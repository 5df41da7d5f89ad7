// Package api is meshops' HTTP layer: the gin router under /api/v1, API-key
// authentication, request ids, CORS, and the one middleware that turns a
// *meshops.Error into a status and JSON body. Handlers only speak HTTP; the
// rules live in the upload (and later operations) packages.
package api
