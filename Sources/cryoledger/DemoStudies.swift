import CryoDomain
import CryoStore
import Foundation

/// ALPHA (ALLO-501; DLBCL and FL; Flu/Cy) and RESOLUTION (ALLO-329; SLE, IIM, SSc; with and without
/// lymphodepletion), their sites and routes, and two ALPHA patients. RESOLUTION's SLE DL1 cohort without
/// lymphodepletion is left empty for the story in deploy/local/story.
extension DemoData {
    static let resolutionCriteria: [StudyDefinition.Criterion] = [
        .init(code: "age-18-to-under-70", kind: "inclusion", text: "Age 18 to under 70 years"),
        .init(code: "active-disease-despite-soc", kind: "inclusion", text: "Active disease despite at least 3 months of standard-of-care immunosuppression"),
        .init(code: "adequate-organ-function", kind: "inclusion", text: "Adequate haematologic, liver, cardiac and pulmonary function"),
        .init(code: "compliance-and-15-year-follow-up", kind: "inclusion", text: "Willing to comply with visits and long-term safety monitoring up to 15 years"),
        .init(code: "contraception", kind: "inclusion", text: "Willing to use highly effective contraception for the specified duration"),
        .init(code: "within-2-hours-of-site-35-days", kind: "inclusion", text: "Able to stay within 2 hours of a study site for at least 35 days"),
        .init(code: "no-active-infection", kind: "exclusion", text: "Active systemic bacterial, fungal or viral infection requiring systemic treatment"),
        .init(code: "no-malignancy-within-5-years", kind: "exclusion", text: "Active or prior malignancy within 5 years (exceptions apply)"),
        .init(code: "no-prior-cd19-cd70-or-engineered-cell-therapy", kind: "exclusion", text: "Prior CD19- or CD70-targeted therapy or other engineered cell therapy"),
        .init(code: "no-uncontrolled-chronic-disease", kind: "exclusion", text: "Significant uncontrolled cardiac, liver or pulmonary disease"),
        .init(code: "no-primary-immunodeficiency", kind: "exclusion", text: "Primary or inherited immunodeficiency; refractory to transfusions"),
        .init(code: "no-significant-cns-history", kind: "exclusion", text: "History or presence of clinically significant CNS disease"),
        .init(code: "not-pregnant-or-lactating", kind: "exclusion", text: "Pregnant, breastfeeding or planning pregnancy"),
        .init(code: "sle-no-cns-or-renal-chronicity", kind: "exclusion", text: "SLE: any CNS disease or severe/advanced renal chronicity", indication: "SLE"),
        .init(code: "iim-assessable-no-anti-tif1g", kind: "exclusion", text: "IIM: non-assessable myositis or dermatomyositis with anti-TIF1γ antibody", indication: "IIM"),
        .init(code: "ssc-no-pah-gi-renal-crisis", kind: "exclusion", text: "SSc: PAH requiring treatment, severe GI involvement or prior renal crisis", indication: "SSc"),
    ]

    func loadStudies(clinical: Principal, manufacturing: Principal, today: CalendarDay) async throws -> String {
        let sites = [("UCLA", "UCLA Medical Center"), ("MDA", "MD Anderson Cancer Center"), ("CHR", "Charité Berlin")]
        for (code, name) in sites {
            try await store.createSite(code: code, name: name, kind: .clinical, actor: manufacturing, logger: logger)
        }
        for (from, to, days) in [("SSF", "UCLA", 1), ("SSF", "MDA", 2), ("EU1", "CHR", 1), ("SSF", "CHR", 4)] {
            try await store.createRoute(from: from, to: to, days: days, actor: clinical, logger: logger)
        }
        _ = try await store.createStudy(StudyDefinition(
            code: "ALPHA", name: "ALPHA: ALLO-501 in relapsed/refractory large B-cell and follicular lymphoma", productCode: "ALLO-501",
            dltWindowDays: 28, indications: [.init(code: "DLBCL", name: "Diffuse large B-cell lymphoma"), .init(code: "FL", name: "Follicular lymphoma")],
            arms: [.init(code: "FC-CD52", lymphodepletion: .fluCy, name: "Fludarabine, cyclophosphamide and anti-CD52 antibody")],
            doseLevels: [.init(code: "DL1", ordinal: 1, targetCells: 40_000_000, basis: .flat), .init(code: "DL2", ordinal: 2, targetCells: 120_000_000, basis: .flat),
                         .init(code: "DL3", ordinal: 3, targetCells: 360_000_000, basis: .flat), .init(code: "DL4", ordinal: 4, targetCells: 480_000_000, basis: .flat)],
            sites: ["UCLA", "MDA"],
            criteria: [.init(code: "age-18-or-over", kind: "inclusion", text: "Age 18 or over"),
                       .init(code: "relapsed-refractory-after-2-lines", kind: "inclusion", text: "Relapsed or refractory after at least two lines of therapy"),
                       .init(code: "no-prior-anti-cd19", kind: "exclusion", text: "Prior anti-CD19 therapy"),
                       .init(code: "no-active-cns-lymphoma", kind: "exclusion", text: "Active CNS lymphoma")]), actor: clinical, logger: logger)
        _ = try await store.createStudy(StudyDefinition(
            code: "RESOLUTION", name: "RESOLUTION: ALLO-329 in autoimmune disease (SLE, IIM, SSc)", productCode: "ALLO-329", dltWindowDays: 35,
            indications: [.init(code: "SLE", name: "Systemic lupus erythematosus"), .init(code: "IIM", name: "Idiopathic inflammatory myopathy"),
                          .init(code: "SSc", name: "Systemic sclerosis")],
            arms: [.init(code: "no-LD", lymphodepletion: .none, name: "No lymphodepletion"), .init(code: "Cy", lymphodepletion: .cy, name: "Cyclophosphamide alone")],
            doseLevels: [.init(code: "DL1", ordinal: 1, targetCells: 50_000_000, basis: .flat), .init(code: "DL2", ordinal: 2, targetCells: 100_000_000, basis: .flat)],
            sites: ["UCLA", "MDA", "CHR"], criteria: Self.resolutionCriteria), actor: clinical, logger: logger)
        let alphaAnswers = ["age-18-or-over", "relapsed-refractory-after-2-lines", "no-prior-anti-cd19", "no-active-cns-lymphoma"]
            .map { EligibilityAnswer(criterion: $0, satisfied: true) }
        for (subject, site, weight, antiHla) in [("ALPHA-001", "UCLA", 81.0, ["B*44"]), ("ALPHA-002", "MDA", 67.5, [String]())] {
            _ = try await store.enrollPatient(Enrolment(subjectId: subject, studyCode: "ALPHA", siteCode: site, cohortId: "ALPHA/DLBCL/DL1/FC-CD52",
                                                        weightKg: weight, ldStartOn: today.adding(days: -5), infusionOn: today.adding(days: 2),
                                                        antiHla: antiHla, eligibility: alphaAnswers), actor: clinical, logger: logger)
        }
        return "studies: ALPHA (ALLO-501; DLBCL, FL; 2 patients enrolled) and RESOLUTION (ALLO-329; SLE, IIM, SSc; with and without LD) at UCLA, MDA and CHR"
    }
}
