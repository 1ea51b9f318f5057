package handlers

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"latchkey/db"
	"latchkey/internal/timetext"
	"latchkey/views"
)

// Notes is the worked example of a feature a fork adds (README.md, "Add a
// page of your own"): a signed-in user adds, lists, edits and deletes their
// own short notes. Each of its routes in routes.go is given RequireUser, so
// every handler here can rely on currentUser(c).

type noteForm struct {
	// trim: a note of only spaces is empty, and so refused.
	Body string `form:"body" label:"note" validate:"required,max=1000" trim:"true"`
}

// notes lists the user's notes under the form that adds one.
func (h *Handlers) notes(c echo.Context) error {
	return h.renderNotes(c, http.StatusOK, "", nil)
}

// createNote adds a note, or shows the list again with the form's errors.
func (h *Handlers) createNote(c echo.Context) error {
	var f noteForm
	errs := bind(c, &f)
	if errs != nil {
		return h.renderNotes(c, http.StatusUnprocessableEntity, f.Body, errs)
	}
	if _, err := h.db.CreateNote(c.Request().Context(), currentUser(c).ID, f.Body, h.now()); err != nil {
		return err
	}
	h.flash(c, "Note added.")
	return redirect(c, "/notes")
}

func (h *Handlers) renderNotes(c echo.Context, status int, draft string, errs views.Errors) error {
	list, err := h.db.NotesByUser(c.Request().Context(), currentUser(c).ID)
	if err != nil {
		return err
	}
	items := make([]views.Note, len(list))
	for i, n := range list {
		items[i] = noteView(n)
	}
	return render(c, status, views.Notes(h.page(c, "Notes"), items, draft, errs))
}

// editNotePage shows one of the user's notes in a form.
func (h *Handlers) editNotePage(c echo.Context) error {
	n, err := h.ownNote(c)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.EditNote(h.page(c, "Edit note"), noteView(n), nil))
}

// updateNote saves an edited note. The note is looked up first, so someone
// else's id is a 404 even when the form is invalid.
func (h *Handlers) updateNote(c echo.Context) error {
	n, err := h.ownNote(c)
	if err != nil {
		return err
	}
	var f noteForm
	errs := bind(c, &f)
	if errs != nil {
		n.Body = f.Body
		return render(c, http.StatusUnprocessableEntity, views.EditNote(h.page(c, "Edit note"), noteView(n), errs))
	}
	_, err = h.db.UpdateNote(c.Request().Context(), currentUser(c).ID, n.ID, f.Body, h.now())
	if errors.Is(err, db.ErrNotFound) {
		return echo.ErrNotFound // deleted in another tab meanwhile
	}
	if err != nil {
		return err
	}
	h.flash(c, "Note saved.")
	return redirect(c, "/notes")
}

// deleteNote removes one of the user's notes.
func (h *Handlers) deleteNote(c echo.Context) error {
	id, ok := noteID(c)
	if !ok {
		return echo.ErrNotFound
	}
	err := h.db.DeleteNote(c.Request().Context(), currentUser(c).ID, id)
	if errors.Is(err, db.ErrNotFound) {
		return echo.ErrNotFound
	}
	if err != nil {
		return err
	}
	h.flash(c, "Note deleted.")
	return redirect(c, "/notes")
}

// ownNote loads the note named by :id if it belongs to the signed-in user.
// Any other id (someone else's, deleted, not a number) is a 404, so nobody
// learns that another user's note exists.
func (h *Handlers) ownNote(c echo.Context) (db.Note, error) {
	id, ok := noteID(c)
	if !ok {
		return db.Note{}, echo.ErrNotFound
	}
	n, err := h.db.NoteByID(c.Request().Context(), currentUser(c).ID, id)
	if errors.Is(err, db.ErrNotFound) {
		return db.Note{}, echo.ErrNotFound
	}
	return n, err
}

func noteID(c echo.Context) (int64, bool) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	return id, err == nil && id > 0
}

// noteView is what a page shows of a note: plain values, no database type.
func noteView(n db.Note) views.Note {
	return views.Note{ID: n.ID, Body: n.Body, Updated: timetext.Moment(n.UpdatedAt)}
}
