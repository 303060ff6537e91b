// Centre the cited span (links from the chat carry #highlight, which CSS scroll margins centre already).
const mark = document.getElementById("highlight");
if (mark && !location.hash) mark.scrollIntoView({ block: "center" });
