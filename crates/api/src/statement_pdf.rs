//! A donor's yearly donation statement as an A4 PDF.
//!
//! Written with `pdf-writer` (objects and content streams) and `subsetter` (the font subset):
//! two small crates from the typst project, no layout engine. The layout here is our own and
//! simple on purpose: one glyph per character (Cyrillic and Latin need no shaping), greedy word
//! wrapping, and a four-column table whose header is repeated on every page it continues on.
//!
//! The text is set in DejaVu Sans, which has the Kazakh letters (ә ғ қ ң ө ұ ү һ і) and the
//! tenge sign ₸. Only the glyphs used are embedded (a statement is tens of KB, not the font's
//! 760 KB), and each font carries a ToUnicode map, so the text can be searched, copied and read
//! aloud.
//!
//! Coordinates are in points (1/72 inch) measured from the page's top-left corner while laying
//! out, and turned into PDF's bottom-up coordinates only when the content streams are written.

use std::collections::BTreeMap;
use std::io::Write as _;

use flate2::write::ZlibEncoder;
use flate2::Compression;
use pdf_writer::types::{CidFontType, FontFlags, SystemInfo, UnicodeCmap};
use pdf_writer::{Content, Filter, Finish, Name, Pdf, Rect, Ref, Str, TextStr};
use subsetter::GlyphRemapper;
use ttf_parser::{Face, GlyphId};

/// DejaVu Sans (Bitstream Vera license with public-domain DejaVu changes; see the report).
const REGULAR_TTF: &[u8] = include_bytes!("../assets/fonts/DejaVuSans.ttf");
const BOLD_TTF: &[u8] = include_bytes!("../assets/fonts/DejaVuSans-Bold.ttf");

/// What a statement PDF shows, all text already in the reader's language (Kazakh, Russian or
/// English).
pub struct StatementPdf<'a> {
    /// The heading, e.g. "Годовая справка о пожертвованиях за 2026 год"; also the document's
    /// metadata title.
    pub title: &'a str,
    /// The foundation's legal name, БИН, address, bank details: one line each (wrapped).
    pub foundation: &'a [String],
    /// E.g. "Донор: aigerim@example.kz".
    pub donor: &'a str,
    /// The table's headers: date, campaign, amount received, net of refunds.
    pub columns: [&'a str; 4],
    /// One row per gift, in the columns' order.
    pub rows: &'a [[String; 4]],
    /// E.g. "Итого: 15 000 ₸".
    pub total: &'a str,
    /// A closing paragraph (wrapped).
    pub note: &'a str,
    /// E.g. "Выдано 7 декабря 2026".
    pub issued: &'a str,
}

/// Why a statement could not be rendered. None of these depends on the statement's text: they
/// mean the embedded font files are not what this module expects (a test renders one).
#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    #[error("the embedded font {font} cannot be read")]
    Font {
        font: &'static str,
        #[source]
        source: ttf_parser::FaceParsingError,
    },
    #[error("the embedded font {font} cannot be subset")]
    Subset {
        font: &'static str,
        #[source]
        source: subsetter::Error,
    },
    #[error("a PDF stream cannot be compressed")]
    Compress(#[from] std::io::Error),
}

// A4 portrait.
const PAGE_W: f32 = 595.28;
const PAGE_H: f32 = 841.89;
const MARGIN_X: f32 = 50.0;
const MARGIN_TOP: f32 = 56.0;
/// Room below the last line of content: the page number sits in it.
const MARGIN_BOTTOM: f32 = 62.0;
const CONTENT_W: f32 = PAGE_W - 2.0 * MARGIN_X;

/// Line height as a multiple of the font size.
const LEADING: f32 = 1.3;
const TITLE_SIZE: f32 = 16.0;
const BODY_SIZE: f32 = 10.0;
const SMALL_SIZE: f32 = 9.0;
const TOTAL_SIZE: f32 = 11.0;
const FOOTER_SIZE: f32 = 8.0;

const CELL_PAD_X: f32 = 4.0;
const CELL_PAD_Y: f32 = 3.5;
/// Date, campaign, amount, net. The campaign takes what the other three leave; the amounts'
/// columns fit "1 000 000 000 ₸" at the table's size.
const FIXED_COLS: [f32; 3] = [66.0, 96.0, 96.0];
/// Lines a cell may take before it is cut with an ellipsis: a long campaign name wraps onto
/// three lines, so that one gift never takes a page.
const MAX_CELL_LINES: [usize; 4] = [2, 3, 2, 2];
const MAX_HEADER_LINES: usize = 3;
/// The smallest size a header is set at so that its longest word fits its column.
const MIN_HEADER_SIZE: f32 = 7.0;

/// Grays (0 black, 1 white).
const INK: f32 = 0.0;
const MUTED: f32 = 0.3;
const RULE: f32 = 0.75;
const HEADER_BAND: f32 = 0.92;

/// Renders the statement. Pure: the same statement gives the same bytes.
pub fn render(doc: &StatementPdf<'_>) -> Result<Vec<u8>, PdfError> {
    let fonts = Fonts {
        regular: FontFace::load("DejaVuSans", REGULAR_TTF)?,
        bold: FontFace::load("DejaVuSans-Bold", BOLD_TTF)?,
    };
    let pages = lay_out(&fonts, doc);
    write_pdf(&fonts, doc.title, &pages)
}

// ---------------------------------------------------------------------------------------------
// Fonts and measuring

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Weight {
    Regular,
    Bold,
}

struct Fonts<'f> {
    regular: FontFace<'f>,
    bold: FontFace<'f>,
}

impl<'f> Fonts<'f> {
    fn get(&self, weight: Weight) -> &FontFace<'f> {
        match weight {
            Weight::Regular => &self.regular,
            Weight::Bold => &self.bold,
        }
    }
}

struct FontFace<'f> {
    /// PostScript name, for the PDF's BaseFont.
    name: &'static str,
    data: &'f [u8],
    face: Face<'f>,
    units_per_em: f32,
    /// What a character the font lacks (an emoji in a campaign's name) is drawn as, and what it
    /// reads as in the text layer: U+FFFD says honestly that something was there.
    fallback: (GlyphId, char),
}

impl<'f> FontFace<'f> {
    fn load(name: &'static str, data: &'f [u8]) -> Result<Self, PdfError> {
        let face = Face::parse(data, 0).map_err(|source| PdfError::Font { font: name, source })?;
        let fallback = ['\u{FFFD}', '?']
            .into_iter()
            .find_map(|c| face.glyph_index(c).map(|g| (g, c)))
            .unwrap_or((GlyphId(0), '\u{FFFD}'));
        Ok(Self { name, data, units_per_em: f32::from(face.units_per_em()), face, fallback })
    }

    /// The glyph drawn for `c` and the character it reads as.
    fn glyph(&self, c: char) -> (GlyphId, char) {
        // Tabs and stray control characters are spaces; line breaks were taken by `wrap`.
        let c = if c.is_control() { ' ' } else { c };
        match self.face.glyph_index(c) {
            Some(g) => (g, c),
            None => self.fallback,
        }
    }

    /// A glyph's advance in ems.
    fn advance(&self, glyph: GlyphId) -> f32 {
        f32::from(self.face.glyph_hor_advance(glyph).unwrap_or(0)) / self.units_per_em
    }

    /// The width of `text` at `size`, in points, as `write_pdf` will draw it (no kerning).
    fn width(&self, text: &str, size: f32) -> f32 {
        text.chars().map(|c| self.advance(self.glyph(c).0)).sum::<f32>() * size
    }

    /// A font unit in the PDF's glyph space (1000 per em).
    fn to_pdf_units(&self, value: f32) -> f32 {
        value * 1000.0 / self.units_per_em
    }
}

/// `text` broken into lines no wider than `max_w`: at spaces, and inside a word only when the
/// word alone is wider (a long e-mail address or account number). Line breaks in `text` are
/// kept. No-break spaces (U+00A0, U+202F) are not break points.
fn wrap(font: &FontFace<'_>, size: f32, text: &str, max_w: f32) -> Vec<String> {
    let space_w = font.width(" ", size);
    let mut lines = Vec::new();
    for paragraph in text.split('\n') {
        let mut line = String::new();
        let mut line_w = 0.0;
        for word in words(paragraph) {
            let word_w = font.width(word, size);
            if !line.is_empty() && line_w + space_w + word_w <= max_w {
                line.push(' ');
                line.push_str(word);
                line_w += space_w + word_w;
                continue;
            }
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
                line_w = 0.0;
            }
            if word_w <= max_w {
                line.push_str(word);
                line_w = word_w;
                continue;
            }
            for c in word.chars() {
                let c_w = font.advance(font.glyph(c).0) * size;
                if !line.is_empty() && line_w + c_w > max_w {
                    lines.push(std::mem::take(&mut line));
                    line_w = 0.0;
                }
                line.push(c);
                line_w += c_w;
            }
        }
        lines.push(line);
    }
    lines
}

/// The words of a line of text: split at spaces and tabs, not at no-break spaces.
fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split([' ', '\t', '\r', '\n']).filter(|w| !w.is_empty())
}

/// At most `max_lines` of `lines`; when some are dropped, the last kept one ends with "…" so
/// that the cut shows.
fn clamp_lines(font: &FontFace<'_>, size: f32, mut lines: Vec<String>, max_lines: usize, max_w: f32) -> Vec<String> {
    if lines.len() <= max_lines {
        return lines;
    }
    lines.truncate(max_lines);
    if let Some(last) = lines.last_mut() {
        let ellipsis_w = font.width("…", size);
        while !last.is_empty() && font.width(last, size) + ellipsis_w > max_w {
            last.pop();
        }
        let kept = last.trim_end().len();
        last.truncate(kept);
        last.push('…');
    }
    lines
}

// ---------------------------------------------------------------------------------------------
// Layout

/// One drawing operation; `y` is measured from the page's top edge.
#[derive(Debug, Clone, PartialEq)]
enum Op {
    /// A line of text; `y` is its baseline.
    Text { x: f32, y: f32, weight: Weight, size: f32, gray: f32, text: String },
    /// A horizontal rule.
    Rule { x1: f32, x2: f32, y: f32, width: f32, gray: f32 },
    /// A filled rectangle; `y` is its top.
    Band { x: f32, y: f32, w: f32, h: f32, gray: f32 },
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Align {
    Left,
    Right,
    Center,
}

/// A table row laid out: each cell's lines.
struct Row {
    cells: [Vec<String>; 4],
    weight: Weight,
    size: f32,
}

impl Row {
    fn height(&self) -> f32 {
        let lines = self.cells.iter().map(Vec::len).max().unwrap_or(1).max(1);
        lines as f32 * self.size * LEADING + 2.0 * CELL_PAD_Y
    }
}

struct Layout<'a, 'f> {
    fonts: &'a Fonts<'f>,
    /// Shown small at the top of every page after the first, so a loose page says what it is.
    running_head: String,
    done: Vec<Vec<Op>>,
    page: Vec<Op>,
    /// Where the next line's top goes.
    y: f32,
}

impl<'a, 'f> Layout<'a, 'f> {
    fn new(fonts: &'a Fonts<'f>, title: &str) -> Self {
        let font = fonts.get(Weight::Regular);
        let head = wrap(font, FOOTER_SIZE, title, CONTENT_W);
        let running_head = clamp_lines(font, FOOTER_SIZE, head, 1, CONTENT_W).into_iter().next().unwrap_or_default();
        Self { fonts, running_head, done: Vec::new(), page: Vec::new(), y: MARGIN_TOP }
    }

    fn room(&self) -> f32 {
        PAGE_H - MARGIN_BOTTOM - self.y
    }

    fn new_page(&mut self) {
        self.done.push(std::mem::take(&mut self.page));
        self.y = MARGIN_TOP;
        let head = self.running_head.clone();
        self.text(MARGIN_X, MARGIN_TOP - 20.0, Weight::Regular, FOOTER_SIZE, MUTED, head);
    }

    /// Moves to a new page unless `height` fits on this one.
    fn ensure(&mut self, height: f32) {
        if height > self.room() {
            self.new_page();
        }
    }

    fn text(&mut self, x: f32, y: f32, weight: Weight, size: f32, gray: f32, text: String) {
        if !text.is_empty() {
            self.page.push(Op::Text { x, y, weight, size, gray, text });
        }
    }

    /// `text` wrapped to the content's width, a page break allowed between any two lines.
    fn paragraph(&mut self, text: &str, weight: Weight, size: f32, gray: f32, align: Align) {
        let font = self.fonts.get(weight);
        let line_h = size * LEADING;
        for line in wrap(font, size, text, CONTENT_W) {
            self.ensure(line_h);
            let x = aligned_x(align, MARGIN_X, CONTENT_W, font.width(&line, size));
            self.text(x, self.y + baseline(size), weight, size, gray, line);
            self.y += line_h;
        }
    }

    fn row(&self, texts: [&str; 4], weight: Weight, size: f32, max_lines: [usize; 4]) -> Row {
        let font = self.fonts.get(weight);
        let widths = column_widths();
        let cells = std::array::from_fn(|i| {
            let inner = widths[i] - 2.0 * CELL_PAD_X;
            let lines = wrap(font, size, texts[i], inner);
            clamp_lines(font, size, lines, max_lines[i], inner)
        });
        Row { cells, weight, size }
    }

    /// The headers' size: the table's, or smaller (down to `MIN_HEADER_SIZE`) where a header has
    /// a word longer than its column is wide ("Қайтарымдарды"), so that words are not broken.
    fn header_size(&self, columns: [&str; 4]) -> f32 {
        let font = self.fonts.get(Weight::Bold);
        let fits = columns.iter().zip(column_widths()).flat_map(|(text, width)| {
            let inner = width - 2.0 * CELL_PAD_X;
            words(text).map(move |word| inner / font.width(word, 1.0).max(f32::EPSILON))
        });
        // A hair under the exact fit, so that rounding cannot push the word over.
        (fits.fold(f32::INFINITY, f32::min) * 0.999).clamp(MIN_HEADER_SIZE, SMALL_SIZE)
    }

    fn draw_row(&mut self, row: &Row, header: bool) {
        let height = row.height();
        if header {
            let band = Op::Band { x: MARGIN_X, y: self.y, w: CONTENT_W, h: height, gray: HEADER_BAND };
            self.page.push(band);
        }
        let font = self.fonts.get(row.weight);
        let size = row.size;
        let line_h = size * LEADING;
        let mut x = MARGIN_X;
        for (i, (lines, width)) in row.cells.iter().zip(column_widths()).enumerate() {
            // The amounts are right-aligned so their digits line up.
            let align = if i >= 2 { Align::Right } else { Align::Left };
            for (n, line) in lines.iter().enumerate() {
                let line_x = aligned_x(align, x + CELL_PAD_X, width - 2.0 * CELL_PAD_X, font.width(line, size));
                let top = self.y + CELL_PAD_Y + n as f32 * line_h;
                self.text(line_x, top + baseline(size), row.weight, size, INK, line.clone());
            }
            x += width;
        }
        self.y += height;
        let (width, gray) = if header { (0.8, 0.4) } else { (0.4, RULE) };
        self.page.push(Op::Rule { x1: MARGIN_X, x2: MARGIN_X + CONTENT_W, y: self.y, width, gray });
    }

    /// The gifts' table: the header at the top of every page the table is on, a row never split.
    fn table(&mut self, columns: [&str; 4], rows: &[[String; 4]]) {
        let header_size = self.header_size(columns);
        let header = self.row(columns, Weight::Bold, header_size, [MAX_HEADER_LINES; 4]);
        let rows: Vec<Row> = rows
            .iter()
            .map(|r| {
                let texts = r.each_ref().map(String::as_str);
                self.row(texts, Weight::Regular, SMALL_SIZE, MAX_CELL_LINES)
            })
            .collect();
        let mut first = true;
        for row in &rows {
            // The header is kept with the first row under it.
            if first || row.height() > self.room() {
                self.ensure(header.height() + row.height());
                self.draw_row(&header, true);
                first = false;
            }
            self.draw_row(row, false);
        }
        if first {
            self.ensure(header.height());
            self.draw_row(&header, true);
        }
    }

    /// The pages, each with its number ("2 / 3") at the bottom.
    fn finish(mut self) -> Vec<Vec<Op>> {
        self.done.push(self.page);
        let count = self.done.len();
        let font = self.fonts.get(Weight::Regular);
        for (i, page) in self.done.iter_mut().enumerate() {
            let number = format!("{} / {count}", i + 1);
            let x = aligned_x(Align::Center, MARGIN_X, CONTENT_W, font.width(&number, FOOTER_SIZE));
            let y = PAGE_H - MARGIN_BOTTOM + 32.0;
            page.push(Op::Text { x, y, weight: Weight::Regular, size: FOOTER_SIZE, gray: MUTED, text: number });
        }
        self.done
    }
}

fn column_widths() -> [f32; 4] {
    let [date, amount, net] = FIXED_COLS;
    [date, CONTENT_W - date - amount - net, amount, net]
}

/// A line's baseline below its top: the line's extra leading split above and below, so that
/// DejaVu's descenders (0.24 em) stay inside the line.
fn baseline(size: f32) -> f32 {
    size * (LEADING - 1.0) / 2.0 + size * 0.85
}

fn aligned_x(align: Align, x: f32, box_w: f32, text_w: f32) -> f32 {
    match align {
        Align::Left => x,
        Align::Right => x + box_w - text_w,
        Align::Center => x + (box_w - text_w) / 2.0,
    }
}

fn lay_out(fonts: &Fonts<'_>, doc: &StatementPdf<'_>) -> Vec<Vec<Op>> {
    let mut layout = Layout::new(fonts, doc.title);
    layout.paragraph(doc.title, Weight::Bold, TITLE_SIZE, INK, Align::Left);
    layout.y += 6.0;
    for line in doc.foundation {
        layout.paragraph(line, Weight::Regular, SMALL_SIZE, MUTED, Align::Left);
    }
    layout.y += 10.0;
    layout.paragraph(doc.donor, Weight::Regular, BODY_SIZE, INK, Align::Left);
    layout.y += 14.0;
    layout.table(doc.columns, doc.rows);
    layout.y += 8.0;
    layout.paragraph(doc.total, Weight::Bold, TOTAL_SIZE, INK, Align::Right);
    layout.y += 14.0;
    layout.paragraph(doc.note, Weight::Regular, BODY_SIZE, INK, Align::Left);
    layout.y += 10.0;
    layout.paragraph(doc.issued, Weight::Regular, SMALL_SIZE, MUTED, Align::Left);
    layout.finish()
}

// ---------------------------------------------------------------------------------------------
// Writing the PDF

const SYSTEM_INFO: SystemInfo<'static> =
    SystemInfo { registry: Str(b"Adobe"), ordering: Str(b"Identity"), supplement: 0 };

/// A font as the document uses it: its glyphs renumbered for the subset (the content streams
/// show the new numbers), and what each reads as.
struct UsedFont<'a, 'f> {
    font: &'a FontFace<'f>,
    remapper: GlyphRemapper,
    /// New glyph number → character, for the ToUnicode map.
    chars: BTreeMap<u16, char>,
}

impl<'a, 'f> UsedFont<'a, 'f> {
    fn new(font: &'a FontFace<'f>) -> Self {
        Self { font, remapper: GlyphRemapper::new(), chars: BTreeMap::new() }
    }

    /// `text` as a string of two-byte glyph numbers (Identity-H).
    fn encode(&mut self, text: &str) -> Vec<u8> {
        let mut out = Vec::with_capacity(text.len() * 2);
        for c in text.chars() {
            let (glyph, reads_as) = self.font.glyph(c);
            let cid = self.remapper.remap(glyph.0);
            // A glyph shared by two characters would read as the first; DejaVu has none shared
            // (checked for U+0000..U+2FFF), so the text layer is exact.
            self.chars.entry(cid).or_insert(reads_as);
            out.extend_from_slice(&cid.to_be_bytes());
        }
        out
    }

    fn is_used(&self) -> bool {
        !self.chars.is_empty()
    }
}

/// Sequential object numbers.
struct Refs(i32);

impl Refs {
    fn next(&mut self) -> Ref {
        self.0 += 1;
        Ref::new(self.0)
    }
}

fn deflate(data: &[u8]) -> Result<Vec<u8>, PdfError> {
    let mut encoder = ZlibEncoder::new(Vec::new(), Compression::best());
    encoder.write_all(data)?;
    Ok(encoder.finish()?)
}

fn write_pdf(fonts: &Fonts<'_>, title: &str, pages: &[Vec<Op>]) -> Result<Vec<u8>, PdfError> {
    let mut refs = Refs(0);
    let catalog_id = refs.next();
    let tree_id = refs.next();
    let info_id = refs.next();
    let page_ids: Vec<(Ref, Ref)> = pages.iter().map(|_| (refs.next(), refs.next())).collect();

    let mut used = [UsedFont::new(&fonts.regular), UsedFont::new(&fonts.bold)];
    let font_names = [Name(b"F1"), Name(b"F2")];
    let font_ids = [refs.next(), refs.next()];

    let mut pdf = Pdf::new();
    pdf.catalog(catalog_id).pages(tree_id).viewer_preferences().display_doc_title(true);
    pdf.document_info(info_id).title(TextStr(title)).creator(TextStr("Demeu")).producer(TextStr("Demeu"));
    let count = i32::try_from(pages.len()).unwrap_or(i32::MAX);
    pdf.pages(tree_id).kids(page_ids.iter().map(|(page, _)| *page)).count(count);

    // Content first: encoding the text decides which glyphs the subsets keep.
    let mut contents = Vec::with_capacity(pages.len());
    for ops in pages {
        let mut content = Content::new();
        for op in ops {
            match op {
                Op::Band { x, y, w, h, gray } => {
                    content.set_fill_gray(*gray).rect(*x, PAGE_H - y - h, *w, *h).fill_nonzero();
                }
                Op::Rule { x1, x2, y, width, gray } => {
                    content
                        .set_stroke_gray(*gray)
                        .set_line_width(*width)
                        .move_to(*x1, PAGE_H - y)
                        .line_to(*x2, PAGE_H - y)
                        .stroke();
                }
                Op::Text { x, y, weight, size, gray, text } => {
                    let i = match weight {
                        Weight::Regular => 0,
                        Weight::Bold => 1,
                    };
                    let glyphs = used[i].encode(text);
                    content
                        .set_fill_gray(*gray)
                        .begin_text()
                        .set_font(font_names[i], *size)
                        .set_text_matrix([1.0, 0.0, 0.0, 1.0, *x, PAGE_H - y])
                        .show(Str(&glyphs))
                        .end_text();
                }
            }
        }
        contents.push(deflate(&content.finish())?);
    }

    for ((page_id, content_id), content) in page_ids.iter().zip(&contents) {
        let mut page = pdf.page(*page_id);
        page.parent(tree_id).media_box(Rect::new(0.0, 0.0, PAGE_W, PAGE_H)).contents(*content_id);
        let mut resources = page.resources();
        let mut dict = resources.fonts();
        for ((font, name), id) in used.iter().zip(font_names).zip(font_ids) {
            if font.is_used() {
                dict.pair(name, id);
            }
        }
        dict.finish();
        resources.finish();
        page.finish();
        pdf.stream(*content_id, content).filter(Filter::FlateDecode);
    }

    for (font, type0_id) in used.iter().zip(font_ids) {
        if font.is_used() {
            write_font(&mut pdf, &mut refs, font, type0_id)?;
        }
    }
    Ok(pdf.finish())
}

/// A Type 0 font over a CIDFontType2 (TrueType) subset, with its widths and ToUnicode map.
fn write_font(pdf: &mut Pdf, refs: &mut Refs, used: &UsedFont<'_, '_>, type0_id: Ref) -> Result<(), PdfError> {
    let font = used.font;
    let cid_id = refs.next();
    let descriptor_id = refs.next();
    let cmap_id = refs.next();
    let file_id = refs.next();

    let subset = subsetter::subset(font.data, 0, &used.remapper)
        .map_err(|source| PdfError::Subset { font: font.name, source })?;
    // "ABCDEF+Name" marks a subset (PDF 1.7, 9.6.4); the tag comes from the glyphs kept, so the
    // same statement gives the same bytes.
    let base_font = format!("{}+{}", subset_tag(&used.remapper), font.name);
    let base_font = Name(base_font.as_bytes());

    pdf.type0_font(type0_id)
        .base_font(base_font)
        .encoding_predefined(Name(b"Identity-H"))
        .descendant_font(cid_id)
        .to_unicode(cmap_id);

    // The subset numbers its glyphs 0.. in the remapper's order; the CIDs are those numbers.
    let widths: Vec<f32> = used.remapper.remapped_gids().map(|old| font.advance(GlyphId(old)) * 1000.0).collect();
    let mut cid = pdf.cid_font(cid_id);
    cid.subtype(CidFontType::Type2)
        .base_font(base_font)
        .system_info(SYSTEM_INFO)
        .font_descriptor(descriptor_id)
        .cid_to_gid_map_predefined(Name(b"Identity"));
    cid.widths().consecutive(0, widths);
    cid.finish();

    let face = &font.face;
    let bbox = face.global_bounding_box();
    let units = |v: i16| font.to_pdf_units(f32::from(v));
    // The usual estimate of the dominant stem width from the weight class (typst does the same).
    let stem_v = 10.0 + 0.244 * (f32::from(face.weight().to_number()) - 50.0);
    pdf.font_descriptor(descriptor_id)
        .name(base_font)
        .flags(FontFlags::SYMBOLIC)
        .bbox(Rect::new(units(bbox.x_min), units(bbox.y_min), units(bbox.x_max), units(bbox.y_max)))
        .italic_angle(face.italic_angle())
        .ascent(units(face.ascender()))
        .descent(units(face.descender()))
        .cap_height(units(face.capital_height().unwrap_or(face.ascender())))
        .stem_v(stem_v)
        .font_file2(file_id);

    let mut cmap = UnicodeCmap::new(Name(b"Custom"), SYSTEM_INFO);
    for (cid, c) in &used.chars {
        cmap.pair(*cid, *c);
    }
    pdf.cmap(cmap_id, &deflate(&cmap.finish())?).filter(Filter::FlateDecode);

    let length1 = i32::try_from(subset.len()).unwrap_or(i32::MAX);
    pdf.stream(file_id, &deflate(&subset)?).filter(Filter::FlateDecode).pair(Name(b"Length1"), length1);
    Ok(())
}

/// Six capital letters from a hash of the kept glyphs (FNV-1a).
fn subset_tag(remapper: &GlyphRemapper) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for gid in remapper.remapped_gids() {
        for byte in gid.to_be_bytes() {
            hash = (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    (0..6)
        .map(|_| {
            let letter = char::from(b'A' + (hash % 26) as u8);
            hash /= 26;
            letter
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const KK_LOWER: &str = "әғқңөұүһі";
    const KK_UPPER: &str = "ӘҒҚҢӨҰҮҺІ";

    fn foundation() -> Vec<String> {
        vec![
            "Благотворительный фонд «Демеу»".to_owned(),
            "БИН 123456789012".to_owned(),
            "050000, Алматы, Абай даңғылы, 10, кеңсе 5 — заңды мекенжай, ол ұзын болуы мүмкін, \
             сондықтан жол бірнеше жолға бөлінеді"
                .to_owned(),
            "IBAN KZ12 3456 7890 1234 5678, АО «Народный Банк Казахстана», БИК HSBKKZKX".to_owned(),
        ]
    }

    /// `n` gifts, each with a date and a campaign that can be told apart in the text.
    fn rows(n: usize) -> Vec<[String; 4]> {
        (0..n)
            .map(|i| {
                [
                    format!("{:02}.{:02}.2026", i % 28 + 1, i % 12 + 1),
                    format!("Gift-{i:03} Балаларға көмек: {KK_LOWER} {KK_UPPER}"),
                    format!("{} 000 ₸", i + 1),
                    format!("{} 000 ₸", i + 1),
                ]
            })
            .collect()
    }

    fn statement<'a>(foundation: &'a [String], rows: &'a [[String; 4]]) -> StatementPdf<'a> {
        StatementPdf {
            title: "Жылдық анықтама: 2026",
            foundation,
            donor: "Донор: aigerim@example.kz",
            columns: ["Күні", "Науқан", "Алынған сома", "Қайтарымдарды шегергенде"],
            rows,
            total: "Барлығы: 15 000 ₸",
            note: "Бұл анықтама қайырымдылық көмектің алынғанын растайды. Справка подтверждает \
                   получение пожертвований фондом; возвраты вычтены из суммы.",
            issued: "Берілген күні: 2026 жылғы 7 желтоқсан",
        }
    }

    /// Spaces as pdf-extract writes them vary (it guesses them from positions): compare
    /// without them.
    fn squeeze(text: &str) -> String {
        text.chars().filter(|c| !c.is_whitespace()).collect()
    }

    #[test]
    fn kazakh_russian_and_tenge_can_be_extracted() {
        let foundation = foundation();
        let rows = rows(30);
        let pdf = render(&statement(&foundation, &rows)).unwrap();
        let text = pdf_extract::extract_text_from_mem(&pdf).unwrap();
        let flat = squeeze(&text);
        for expected in [
            KK_LOWER,
            KK_UPPER,
            "Благотворительный",
            "Справка",
            "₸",
            "15000₸",
            "30000₸",
            "Жылдықанықтама:2026",
            "Қайтарымдардышегергенде",
            "aigerim@example.kz",
        ] {
            assert!(flat.contains(expected), "{expected:?} is not in the extracted text:\n{text}");
        }
        // The words keep their spaces: each line is one run of text with its space glyphs.
        assert!(text.contains("Балаларға көмек"), "{text}");
    }

    #[test]
    fn a_statement_of_30_gifts_embeds_font_subsets_only() {
        let foundation = foundation();
        let rows = rows(30);
        let pdf = render(&statement(&foundation, &rows)).unwrap();
        // The two whole fonts weigh 1.4 MB; their subsets, compressed, a few tens of KB.
        assert!(pdf.len() < 60_000, "{} bytes", pdf.len());
        let doc = pdf_extract::Document::load_mem(&pdf).unwrap();
        let fonts: Vec<String> = doc
            .objects
            .values()
            .filter_map(|o| o.as_dict().ok())
            .filter(|d| d.get(b"Type").and_then(|t| t.as_name()).ok() == Some(b"FontDescriptor"))
            .map(|d| String::from_utf8_lossy(d.get(b"FontName").unwrap().as_name().unwrap()).into_owned())
            .collect();
        assert_eq!(fonts.len(), 2, "{fonts:?}");
        for name in fonts {
            assert!(
                name.len() == "ABCDEF+".len() + name[7..].len() && name.as_bytes()[6] == b'+',
                "{name} is not marked as a subset"
            );
        }
    }

    #[test]
    fn the_metadata_title_is_the_statements_title() {
        let foundation = foundation();
        let rows = rows(1);
        let pdf = render(&statement(&foundation, &rows)).unwrap();
        let doc = pdf_extract::Document::load_mem(&pdf).unwrap();
        let info = doc.trailer.get(b"Info").unwrap().as_reference().unwrap();
        let title = doc.get_dictionary(info).unwrap().get(b"Title").unwrap();
        assert_eq!(pdf_extract::decode_text_string(title).unwrap(), "Жылдық анықтама: 2026");
    }

    #[test]
    fn two_hundred_gifts_take_several_pages_each_with_the_header_and_its_number() {
        let foundation = foundation();
        let rows = rows(200);
        let pdf = render(&statement(&foundation, &rows)).unwrap();
        let pages = pdf_extract::extract_text_from_mem_by_pages(&pdf).unwrap();
        let count = pages.len();
        assert!(count > 1, "{count} page(s)");
        for (i, page) in pages.iter().enumerate() {
            let flat = squeeze(page);
            for header in ["Күні", "Науқан", "Алынғансома", "Қайтарымдардышегергенде"]
            {
                assert!(flat.contains(header), "page {} lacks {header:?}:\n{page}", i + 1);
            }
            let number = format!("{}/{count}", i + 1);
            assert!(flat.contains(&number), "page {} lacks {number:?}:\n{page}", i + 1);
        }
        // Every gift is on exactly one page, and none is lost at a break.
        let all = squeeze(&pages.concat());
        for i in 0..200 {
            let gift = format!("Gift-{i:03}");
            assert_eq!(all.matches(&gift).count(), 1, "{gift}");
        }
        assert!(all.contains("Барлығы:15000₸"));
    }

    #[test]
    fn the_header_heads_every_page_of_the_table_in_the_layout() {
        let fonts = Fonts {
            regular: FontFace::load("DejaVuSans", REGULAR_TTF).unwrap(),
            bold: FontFace::load("DejaVuSans-Bold", BOLD_TTF).unwrap(),
        };
        let foundation = foundation();
        let rows = rows(200);
        let pages = lay_out(&fonts, &statement(&foundation, &rows));
        assert!(pages.len() > 1);
        let mut gifts = 0;
        for (i, page) in pages.iter().enumerate() {
            let texts: Vec<&Op> = page.iter().filter(|op| matches!(op, Op::Text { .. })).collect();
            let bands = page.iter().filter(|op| matches!(op, Op::Band { .. })).count();
            let page_gifts =
                texts.iter().filter(|op| matches!(op, Op::Text { text, .. } if text.starts_with("Gift-"))).count();
            gifts += page_gifts;
            if page_gifts > 0 {
                assert_eq!(bands, 1, "page {} has {bands} header bands", i + 1);
                let header_y = page.iter().find_map(|op| match op {
                    Op::Band { y, .. } => Some(*y),
                    _ => None,
                });
                let first_gift_y = texts.iter().find_map(|op| match op {
                    Op::Text { y, text, .. } if text.starts_with("Gift-") => Some(*y),
                    _ => None,
                });
                assert!(header_y < first_gift_y, "page {}: header below the gifts", i + 1);
            }
            // Nothing is drawn into the bottom margin but the page number.
            for op in &texts[..texts.len() - 1] {
                if let Op::Text { y, .. } = op {
                    assert!(*y <= PAGE_H - MARGIN_BOTTOM, "page {}: text at {y}", i + 1);
                }
            }
        }
        assert_eq!(gifts, 200);
    }

    #[test]
    fn a_long_campaign_name_wraps_then_is_cut_with_an_ellipsis() {
        let fonts = Fonts {
            regular: FontFace::load("DejaVuSans", REGULAR_TTF).unwrap(),
            bold: FontFace::load("DejaVuSans-Bold", BOLD_TTF).unwrap(),
        };
        let layout = Layout::new(&fonts, "t");
        let name = "Балаларға арналған оңалту орталығына жаңа жабдық сатып алу ".repeat(6);
        let texts = ["01.02.2026", name.as_str(), "1 000 000 000 ₸", "0 ₸"];
        let row = layout.row(texts, Weight::Regular, SMALL_SIZE, MAX_CELL_LINES);
        let campaign = &row.cells[1];
        assert_eq!(campaign.len(), 3);
        assert!(campaign[2].ends_with('…'), "{campaign:?}");
        let inner = column_widths()[1] - 2.0 * CELL_PAD_X;
        for line in campaign {
            assert!(fonts.regular.width(line, SMALL_SIZE) <= inner, "{line:?} overflows");
        }
        // Short cells are left whole.
        assert_eq!(row.cells[2], vec!["1 000 000 000 ₸".to_owned()]);
    }

    #[test]
    fn headers_shrink_rather_than_break_a_word() {
        let fonts = Fonts {
            regular: FontFace::load("DejaVuSans", REGULAR_TTF).unwrap(),
            bold: FontFace::load("DejaVuSans-Bold", BOLD_TTF).unwrap(),
        };
        let layout = Layout::new(&fonts, "t");
        for columns in [
            ["Күні", "Науқан", "Алынған сома", "Қайтарымдарды шегергенде"],
            ["Дата", "Кампания", "Получено", "За вычетом возвратов"],
            ["Date", "Campaign", "Amount received", "Net of refunds"],
            ["Date", "Campaign", "Received", "Netofrefundsnetofrefunds"],
        ] {
            let size = layout.header_size(columns);
            assert!((MIN_HEADER_SIZE..=SMALL_SIZE).contains(&size), "{size}");
            let header = layout.row(columns, Weight::Bold, size, [MAX_HEADER_LINES; 4]);
            for (cell, text) in header.cells.iter().zip(columns) {
                if size > MIN_HEADER_SIZE {
                    assert_eq!(cell.join(" "), text, "{columns:?} at {size}");
                }
            }
        }
    }

    #[test]
    fn a_word_wider_than_the_column_is_broken_inside() {
        let fonts = Fonts {
            regular: FontFace::load("DejaVuSans", REGULAR_TTF).unwrap(),
            bold: FontFace::load("DejaVuSans-Bold", BOLD_TTF).unwrap(),
        };
        let word = "KZ".repeat(40);
        let lines = wrap(&fonts.regular, SMALL_SIZE, &word, 100.0);
        assert!(lines.len() > 1);
        assert_eq!(lines.concat(), word);
        assert!(lines.iter().all(|l| fonts.regular.width(l, SMALL_SIZE) <= 100.0));
        // A no-break space holds an amount together.
        let amount = "1\u{a0}000\u{a0}000\u{a0}₸";
        let max_w = fonts.regular.width(amount, SMALL_SIZE) + 1.0;
        let lines = wrap(&fonts.regular, SMALL_SIZE, &format!("Итого: {amount}"), max_w);
        assert_eq!(lines, ["Итого:", amount]);
    }

    #[test]
    fn no_gifts_and_characters_the_font_lacks_still_render() {
        let foundation = foundation();
        let rows = [["01.01.2026".to_owned(), "Smile 🙂 campaign".to_owned(), "1 ₸".to_owned(), "1 ₸".to_owned()]];
        let pdf = render(&statement(&foundation, &rows)).unwrap();
        let text = pdf_extract::extract_text_from_mem(&pdf).unwrap();
        assert!(text.contains("Smile \u{FFFD} campaign"), "{text}");

        let pdf = render(&statement(&foundation, &[])).unwrap();
        let pages = pdf_extract::extract_text_from_mem_by_pages(&pdf).unwrap();
        assert_eq!(pages.len(), 1);
        assert!(squeeze(&pages[0]).contains("Алынғансома"));
    }

    #[test]
    fn the_same_statement_gives_the_same_bytes() {
        let foundation = foundation();
        let rows = rows(5);
        let doc = statement(&foundation, &rows);
        assert_eq!(render(&doc).unwrap(), render(&doc).unwrap());
    }
}
