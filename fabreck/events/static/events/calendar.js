/* The calendar of public workshops and events: FullCalendar's month, week and list views,
 * fed by /events/calendar/sessions/ (the page's filters ride along in its query string).
 * Times are Europe/Luxembourg wall-clock times, as on the FabLab calendar. A click on a
 * session opens its event's page, where one registers. */
(function () {
  "use strict";

  function start() {
    var el = document.getElementById("events-calendar");
    if (!el || !window.FullCalendar) {
      return;
    }
    var d = el.dataset;
    var errorBox = document.getElementById("calendar-error");
    var narrow = window.matchMedia("(max-width: 576px)").matches;
    var calendar = new FullCalendar.Calendar(el, {
      timeZone: "Europe/Luxembourg",
      locale: d.locale || "en-gb",
      initialView: narrow ? "listMonth" : "dayGridMonth",
      firstDay: 1,
      headerToolbar: {
        left: "prev,next today",
        center: "title",
        right: "dayGridMonth,timeGridWeek,listMonth",
      },
      eventTimeFormat: { hour: "2-digit", minute: "2-digit", hour12: false },
      slotLabelFormat: { hour: "2-digit", minute: "2-digit", hour12: false },
      slotMinTime: "07:00:00",
      slotMaxTime: "23:00:00",
      nowIndicator: true,
      height: "auto",
      dayMaxEvents: 4,
      events: {
        url: d.sessionsUrl,
        failure: function () {
          errorBox.textContent = d.error;
          errorBox.classList.remove("d-none");
        },
        success: function () {
          errorBox.classList.add("d-none");
        },
      },
    });
    calendar.render();
    window.eventsCalendar = calendar;
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
