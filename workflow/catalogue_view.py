"""How a complaint shows its catalogue product and its defect and cause codes."""

from typing import Any

from sqlmodel import Session

from models.catalogue import ProductRef
from models.complaint import Complaint
from models.quality import CauseCode, DefectCode, Product
from workflow.codes import code_ref


def catalogue_fields(session: Session, complaint: Complaint) -> dict[str, Any]:
    product = session.get(Product, complaint.product_id) if complaint.product_id else None
    defect = session.get(DefectCode, complaint.defect_code_id) if complaint.defect_code_id else None
    cause = session.get(CauseCode, complaint.cause_code_id) if complaint.cause_code_id else None
    return {
        "catalogue_product": ProductRef.model_validate(product, from_attributes=True)
        if product
        else None,
        "product_mapped": product is not None,
        "defect_code": code_ref(defect),
        "cause_code": code_ref(cause),
    }
