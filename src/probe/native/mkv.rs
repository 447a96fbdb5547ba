pub fn probe(
    _src: &mut super::reader::Source,
) -> Result<super::super::ProbeReport, super::super::ProbeError> {
    Err(super::super::ProbeError::Unsupported("matroska".into()))
}
