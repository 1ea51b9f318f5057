package handlers

import (
	"errors"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"latchkey/db"
)

// The notes example as JSON (README.md, "Add a page of your own", its last
// step): the same db/notes.go, owner rule and validation as the pages in
// notes.go. Each route is given RequireAPIUser, so currentUser(c) is set.

// apiNoteBody is the body of POST /api/notes and PATCH /api/notes/:id: the
// pages' noteForm rules, read from JSON.
type apiNoteBody struct {
	Body string `json:"body" form:"body" label:"note" validate:"required,max=1000" trim:"true"`
}

type apiNote struct {
	ID        int64  `json:"id"`
	Body      string `json:"body"`
	CreatedAt string `json:"created_at"`
	UpdatedAt string `json:"updated_at"`
}

func noteJSON(n db.Note) apiNote {
	return apiNote{ID: n.ID, Body: n.Body, CreatedAt: n.CreatedAt.UTC().Format(time.RFC3339), UpdatedAt: n.UpdatedAt.UTC().Format(time.RFC3339)}
}

// errAPINotFound is a note that is not the user's (or not at all).
var errAPINotFound = apiFail(http.StatusNotFound, "not_found")

// apiNotes is GET /api/notes: the user's notes, newest first.
func (h *Handlers) apiNotes(c echo.Context) error {
	list, err := h.db.NotesByUser(c.Request().Context(), currentUser(c).ID)
	if err != nil {
		return err
	}
	out := make([]apiNote, len(list))
	for i, n := range list {
		out[i] = noteJSON(n)
	}
	return c.JSON(http.StatusOK, map[string][]apiNote{"notes": out})
}

// apiCreateNote is POST /api/notes: 201 with the new note.
func (h *Handlers) apiCreateNote(c echo.Context) error {
	var f apiNoteBody
	if err := bindAPI(c, &f, false); err != nil {
		return err
	}
	n, err := h.db.CreateNote(c.Request().Context(), currentUser(c).ID, f.Body, h.now())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, noteJSON(n))
}

// apiNote is GET /api/notes/:id.
func (h *Handlers) apiNote(c echo.Context) error {
	n, err := h.apiOwnNote(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, noteJSON(n))
}

// apiUpdateNote is PATCH /api/notes/:id: 200 with the note as saved. The
// note is looked up first, so someone else's id is a 404 even when the
// body is invalid.
func (h *Handlers) apiUpdateNote(c echo.Context) error {
	n, err := h.apiOwnNote(c)
	if err != nil {
		return err
	}
	var f apiNoteBody
	if err := bindAPI(c, &f, false); err != nil {
		return err
	}
	n, err = h.db.UpdateNote(c.Request().Context(), currentUser(c).ID, n.ID, f.Body, h.now())
	if errors.Is(err, db.ErrNotFound) { // deleted meanwhile
		return errAPINotFound
	}
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, noteJSON(n))
}

// apiDeleteNote is DELETE /api/notes/:id: 204.
func (h *Handlers) apiDeleteNote(c echo.Context) error {
	id, ok := noteID(c)
	if !ok {
		return errAPINotFound
	}
	err := h.db.DeleteNote(c.Request().Context(), currentUser(c).ID, id)
	if errors.Is(err, db.ErrNotFound) {
		return errAPINotFound
	}
	if err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// apiOwnNote is ownNote for the API: any id that is not one of the user's
// notes is 404.
func (h *Handlers) apiOwnNote(c echo.Context) (db.Note, error) {
	n, err := h.ownNote(c)
	var he *echo.HTTPError
	if errors.As(err, &he) && he.Code == http.StatusNotFound {
		return db.Note{}, errAPINotFound
	}
	return n, err
}
