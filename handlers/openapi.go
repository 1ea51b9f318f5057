package handlers

import (
	_ "embed"
	"net/http"

	"github.com/labstack/echo/v4"
)

// openAPIDocument is the OpenAPI 3.1 description of every /api/ route,
// embedded in the binary. TestAPIMatchesOpenAPI keeps it true: every
// request of the API tests is checked against it with its response.
//
//go:embed openapi.json
var openAPIDocument []byte

// serveOpenAPI is GET /api/openapi.json.
func serveOpenAPI(c echo.Context) error {
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, openAPIDocument)
}
